import Foundation
import XCTest
import L2OCore
import L2OData
@testable import L2OOptimizees

/// The real-data families (natural-image patches, UCI Adult) against their recipes, on small data
/// the tests make, and on the fetched datasets when `make data` has run.
final class RealDataFamilyTests: XCTestCase {
    /// A `height × width` image: uniform noise, with the columns `< flatColumns` set to 0.5.
    func image(_ name: String, height: Int, width: Int, flatColumns: Int = 0, seed: UInt64) throws -> GrayImage {
        var pixels = Tensor<Double>.uniform([height, width], seed: seed)
        for y in 0..<height { for x in 0..<flatColumns { pixels.scalars[y * width + x] = 0.5 } }
        return try GrayImage(name: name, pixels: pixels)
    }

    func smallPatchFamily(nodes: Int = 3, atoms: Int = 12, samplesPerNode: Int = 4, lambda: Double = 0.05) throws -> PatchLASSOFamily<Double> {
        try PatchLASSOFamily(
            dictionaryImages: [image("d0", height: 12, width: 10, seed: 1), image("d1", height: 9, width: 14, flatColumns: 6, seed: 2)],
            targetImages: [image("t0", height: 30, width: 11, flatColumns: 5, seed: 3), image("t1", height: 25, width: 8, seed: 4)],
            nodes: nodes, atoms: atoms, samplesPerNode: samplesPerNode, lambda: lambda, seed: 9)
    }

    /// The pixel standard deviation of a patch, computed directly.
    func contrast(_ image: GrayImage, _ l: PatchLocation, _ h: Int, _ w: Int) -> Double {
        var p = [Double]()
        for y in l.row..<(l.row + h) { for x in l.column..<(l.column + w) { p.append(image.pixels.scalars[y * image.width + x]) } }
        let m = p.reduce(0, +) / Double(p.count)
        return (p.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(p.count)).squareRoot()
    }

    func testPatchLASSOFollowsTheRecipe() throws {
        let family = try smallPatchFamily()
        XCTAssertEqual(family.name, "PatchLASSO(3,12,4,0.05)")
        let (n, N, d) = (3, 4, 12)
        let raw = family.data(seed: 77, split: .validation)
        XCTAssertEqual(raw.A.shape, [n, N, d])
        XCTAssertEqual(raw.b.shape, [n, N])
        XCTAssertEqual(Set(raw.atoms).count, d, "distinct atoms")
        let A = raw.A.reshaped([n * N, d])
        func column(_ j: Int) -> [Double] { (0..<(n * N)).map { A.scalars[$0 * d + j] } }
        // Atom j is the patch at atoms[j], mean removed and scaled to ‖a‖² = nN; node i holds patch row i.
        for (j, l) in raw.atoms.enumerated() {
            let img = family.dictionaryImages[l.image]
            let c = contrast(img, l, n, N)
            XCTAssertGreaterThanOrEqual(c, family.minimumContrast)
            var mean = 0.0
            for y in 0..<n { for x in 0..<N { mean += img.pixels.scalars[(l.row + y) * img.width + l.column + x] } }
            mean /= Double(n * N)
            for i in 0..<n {
                for k in 0..<N {
                    let pixel = img.pixels.scalars[(l.row + i) * img.width + l.column + k]
                    XCTAssertEqual(raw.A.scalars[(i * N + k) * d + j], (pixel - mean) / c, accuracy: 1e-12, "atom \(j) node \(i)")
                }
            }
            XCTAssertEqual(column(j).reduce(0, +), 0, accuracy: 1e-12)
            XCTAssertEqual(column(j).reduce(0) { $0 + $1 * $1 }, Double(n * N), accuracy: 1e-10)
        }
        let t = raw.target, timg = family.targetImages[t.image]
        let tc = contrast(timg, t, n, N)
        XCTAssertEqual(raw.b.scalars[N + 2], (timg.pixels.scalars[(t.row + 1) * timg.width + t.column + 2] - {
            var m = 0.0
            for y in 0..<n { for x in 0..<N { m += timg.pixels.scalars[(t.row + y) * timg.width + t.column + x] } }
            return m / Double(n * N)
        }()) / tc, accuracy: 1e-12)
        XCTAssertEqual(raw.b.squaredNorm(), Double(n * N), accuracy: 1e-10)
        // The instance is the LASSO objective over these arrays.
        let p = family.instance(seed: 77, split: .validation)
        XCTAssertEqual(p.A, raw.A)
        XCTAssertEqual(p.b, raw.b)
        XCTAssertEqual(p.lambda, 0.05)
        XCTAssertEqual(try family.instance(.test, index: 3).A, try family.instance(.test, index: 3).A, "deterministic")
        XCTAssertNotEqual(try family.instance(.test, index: 3).A, try family.instance(.test, index: 4).A)
        let float = try PatchLASSOFamily<Float>(dictionaryImages: family.dictionaryImages, targetImages: family.targetImages, nodes: n, atoms: d,
                                                samplesPerNode: N, lambda: 0.05, seed: 9).instance(.train, index: 0)
        XCTAssertEqual(float.A, try family.instance(.train, index: 0).A.cast(to: Float.self), "Float data = rounded Double data")
    }

    func testPatchPoolsAreExactAndSplitsNeverShareATargetPixel() throws {
        let family = try smallPatchFamily()
        let (n, N) = (3, 4)
        // The pools equal a brute-force enumeration (contrast computed directly, band by band).
        func bruteForce(_ images: [GrayImage], rows: (GrayImage) -> Range<Int>) -> Set<PatchLocation> {
            var out = Set<PatchLocation>()
            for (k, img) in images.enumerated() {
                let band = rows(img)
                guard band.count >= n else { continue }
                for y in band.lowerBound...(band.upperBound - n) {
                    for x in 0...(img.width - N) where contrast(img, PatchLocation(image: k, row: y, column: x), n, N) >= family.minimumContrast {
                        out.insert(PatchLocation(image: k, row: y, column: x))
                    }
                }
            }
            return out
        }
        XCTAssertEqual(Set(family.dictionaryPool.map(PatchLASSOFamily<Double>.decode)), bruteForce(family.dictionaryImages) { 0..<$0.height })
        var targetRows = [Split: Set<[Int]>]()
        for split in Split.allCases {
            let pool = Set(family.targetPools[split]!.map(PatchLASSOFamily<Double>.decode))
            XCTAssertEqual(pool, bruteForce(family.targetImages) { PatchLASSOFamily<Double>.band(split, height: $0.height) })
            XCTAssertFalse(pool.contains { $0.image == 0 && $0.column < 2 }, "patches wholly inside the flat columns are excluded")
            XCTAssertEqual(family.poolSizes(split).targets, pool.count)
            // Every pixel a split's target may cover, as (image, row).
            targetRows[split] = Set(pool.flatMap { l in (l.row..<(l.row + n)).map { [l.image, $0] } })
            for k in 0..<20 {
                let t = family.data(seed: InstanceSeed.derive(familySeed: 9, split: split, index: k), split: split).target
                XCTAssertTrue(pool.contains(t))
            }
        }
        XCTAssertTrue(targetRows[.train]!.isDisjoint(with: targetRows[.validation]!))
        XCTAssertTrue(targetRows[.train]!.isDisjoint(with: targetRows[.test]!))
        XCTAssertTrue(targetRows[.validation]!.isDisjoint(with: targetRows[.test]!))
        XCTAssertEqual(PatchLASSOFamily<Double>.band(.validation, height: 30), 18..<24)
    }

    func testPatchLASSOOptimumSatisfiesKKT() throws {
        let p = try smallPatchFamily(atoms: 20).instance(.test, index: 0)
        let opt = try FISTA().solve(p)
        assertLASSOKKT(p, opt)
        XCTAssertGreaterThan(opt.x.scalars.filter { $0 != 0 }.count, 0)
        XCTAssertGreaterThan(opt.x.scalars.filter { $0 == 0 }.count, 0)
    }

    func testPatchLASSOBadInputGivesClearErrors() throws {
        let tiny = try image("tiny", height: 4, width: 4, seed: 5)
        let ok = try image("ok", height: 20, width: 20, seed: 6)
        XCTAssertThrowsError(try PatchLASSOFamily<Double>(dictionaryImages: [tiny], targetImages: [ok], nodes: 3, atoms: 100, samplesPerNode: 3, lambda: 0.1, seed: 1)) {
            XCTAssertTrue("\($0)".contains("4 admissible 3×3 patches, 100 atoms are needed"), "\($0)")
        }
        XCTAssertThrowsError(try PatchLASSOFamily<Double>(dictionaryImages: [ok], targetImages: [tiny], nodes: 3, atoms: 5, samplesPerNode: 3, lambda: 0.1, seed: 1)) {
            XCTAssertTrue("\($0)".contains("train targets"), "\($0)")
        }
        XCTAssertThrowsError(try PatchLASSOFamily<Double>(dictionaryImages: [], targetImages: [ok], nodes: 3, atoms: 5, samplesPerNode: 3, lambda: 0.1, seed: 1))
        XCTAssertThrowsError(try PatchLASSOFamily<Double>(dictionaryImages: [ok], targetImages: [ok], nodes: 3, atoms: 5, samplesPerNode: 3, lambda: -1, seed: 1))
        XCTAssertThrowsError(try PatchLASSOFamily<Double>(dictionaryImages: [ok], targetImages: [ok], nodes: 3, atoms: 5, samplesPerNode: 3, lambda: 0.1, seed: 1, minimumContrast: 0))
        let flat = try GrayImage(name: "flat", pixels: .zeros([30, 30]))
        XCTAssertThrowsError(try PatchLASSOFamily<Double>(dictionaryImages: [ok], targetImages: [flat], nodes: 3, atoms: 5, samplesPerNode: 3, lambda: 0.1, seed: 1)) {
            XCTAssertTrue("\($0)".contains("no 3×3 patch with contrast ≥ 0.02"), "\($0)")
        }
    }

    /// `count` samples with random features and labels `1[feature 0 + feature 7 > 0]`.
    func syntheticAdult(count: Int, seed: UInt64) throws -> AdultSamples {
        let features = Tensor<Double>.normal([count, Adult.featureCount], seed: seed)
        let labels = (0..<count).map { features.scalars[$0 * Adult.featureCount] + features.scalars[$0 * Adult.featureCount + 7] > 0 ? 1 : 0 }
        return try AdultSamples(features: features, labels: labels)
    }

    func testAdultFamilyDrawsDisjointSamplesPerSplit() throws {
        let data = (train: try syntheticAdult(count: 200, seed: 1), test: try syntheticAdult(count: 80, seed: 2))
        let family = try AdultLogisticFamily<Double>(data: data, nodes: 4, samplesPerNode: 10, lambda: 0.01, seed: 5)
        XCTAssertEqual(family.name, "LogisticAdult(4,105,10,0.01)")
        XCTAssertEqual(family.dimension, 105)
        XCTAssertEqual(family.pool(.train).count, 160)
        XCTAssertEqual(family.pool(.validation).count, 40)
        XCTAssertTrue(Set(family.pool(.train)).isDisjoint(with: family.pool(.validation)))
        for split in Split.allCases {
            let source = split == .test ? data.test : data.train
            let seed = InstanceSeed.derive(familySeed: 5, split: split, index: 2)
            let rows = family.sampleIndices(seed: seed, split: split)
            XCTAssertEqual(rows.count, 40)
            XCTAssertEqual(Set(rows).count, 40, "nodes hold distinct samples")
            XCTAssertTrue(Set(rows).isSubset(of: family.pool(split)))
            let p = try family.instance(split, index: 2)
            XCTAssertEqual(p.A.shape, [4, 10, 105])
            // Node i holds draws [iN, (i+1)N).
            XCTAssertEqual(p.A.reshaped([40, 105]), source.features.gatherRows(rows))
            XCTAssertEqual(p.b.scalars, rows.map { Double(source.labels[$0]) })
        }
        XCTAssertThrowsError(try AdultLogisticFamily<Double>(data: data, nodes: 5, samplesPerNode: 10, lambda: 0.01, seed: 5)) {
            XCTAssertTrue("\($0)".contains("the validation pool has 40"), "\($0)")
        }
        XCTAssertThrowsError(try AdultSamples(features: .zeros([2, 104]), labels: [0, 1]))
        XCTAssertThrowsError(try AdultSamples(features: .zeros([2, 105]), labels: [0, 2]))
    }

    func testAdultOptimumSatisfiesKKTAndIsNotZero() throws {
        let data = (train: try syntheticAdult(count: 250, seed: 3), test: try syntheticAdult(count: 50, seed: 4))
        let p = try AdultLogisticFamily<Double>(data: data, nodes: 2, samplesPerNode: 20, lambda: 0.02, seed: 6).instance(.train, index: 0)
        let opt = try FISTA().solve(p)
        assertLogisticKKT(p, opt)
        XCTAssertGreaterThan(opt.x.scalars[0], 0, "the planted feature enters the model")
    }

    func testFetchedDataWhenPresent() throws {
        let images = realDataDirectory("natural-images"), adult = realDataDirectory("adult")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: images + "/moon.png") && FileManager.default.fileExists(atPath: adult + "/adult.test"),
                          "run `make data` to fetch the natural images and UCI Adult")
        // LASSO(10,200,10,0.05) on the photographs: the named test shape of [MiLoDo] App. E.2.
        let patches = try PatchLASSOFamily<Double>(
            dictionaryImages: NaturalImages.load(NaturalImages.dictionaryImages, directory: images),
            targetImages: NaturalImages.load(NaturalImages.targetImages, directory: images),
            nodes: 10, atoms: 200, samplesPerNode: 10, lambda: 0.05, seed: 1)
        XCTAssertGreaterThan(patches.poolSizes(.test).targets, 10_000)
        let lasso = try patches.instance(.test, index: 0)
        let lassoOptimum = try FISTA().solve(lasso)
        assertLASSOKKT(lasso, lassoOptimum)
        XCTAssertGreaterThan(lassoOptimum.x.scalars.filter { $0 != 0 }.count, 0, "λ = 0.05 leaves a non-zero code")
        // Logistic regression on Adult with λ = 0.01 (the shipped suite's λ): a sparse, non-zero x*.
        let family = try AdultLogisticFamily<Double>(data: Adult.load(directory: adult), nodes: 10, samplesPerNode: 100, lambda: 0.01, seed: 2)
        let logistic = try family.instance(.test, index: 0)
        let opt = try FISTA().solve(logistic)
        assertLogisticKKT(logistic, opt)
        let support = opt.x.scalars.filter { $0 != 0 }.count
        XCTAssertGreaterThan(support, 3)
        XCTAssertLessThan(support, 105)
    }
}
