import L2OCore
import L2OData

/// Where a patch was cut: an index into the family's image list and the patch's top-left pixel.
public struct PatchLocation: Sendable, Hashable {
    public var image: Int
    public var row: Int
    public var column: Int

    public init(image: Int, row: Int, column: Int) {
        self.image = image
        self.row = row
        self.column = column
    }
}

/// The Double arrays of one patch-LASSO instance and where its patches were cut.
public struct PatchLASSOData: Sendable {
    /// The dictionary, shape `[n, N, d]`: column `j` of the stacked `[nN, d]` matrix is atom `j`.
    public var A: Tensor<Double>
    /// The target patch, shape `[n, N]`.
    public var b: Tensor<Double>
    /// Atom `j` was cut at `atoms[j]` in `dictionaryImages`.
    public var atoms: [PatchLocation]
    /// The target was cut at `target` in `targetImages`.
    public var target: PatchLocation
}

/// Sparse coding of natural-image patches as LASSO(n, d, N, λ) ([MiLoDo] App. E.2's natural-image test
/// shape LASSO(10,200,10,0.05); a stand-in for BSDS500 with the photographs of
/// `NaturalImages`). A patch is `n × N` pixels of a grayscale image in [0, 1]; flattened row-major
/// it is a vector of `nN` entries, and **node `i` holds patch row `i`** (rows `[iN, (i+1)N)`),
/// exactly the per-node split of the synthetic LASSO:
/// ```
/// normalize(p) = (p − mean(p)) / rms(p − mean(p))       (mean removed, unit RMS: ‖·‖² = nN)
/// A = [normalize(p₁) … normalize(p_d)] ∈ R^{nN×d}      atoms: d distinct patches of the dictionary images
/// b = normalize(q) ∈ R^{nN}                            target: one patch of the target images
/// f_i(x) = ‖A_i x − b_i‖²/(2N),   F(x) = ‖Ax − b‖²/(2nN) + λ‖x‖₁      (the `LASSO` objective)
/// ```
/// With unit-RMS columns and target, `|a_jᵀb|/(nN)` is the correlation of atom `j` with the
/// target, so `x* = 0` only when no atom correlates more than λ with it.
///
/// - Only patches whose pixel standard deviation is at least `minimumContrast` are used (flat
///   patches have no direction to normalize).
/// - Dictionary and target images are disjoint. The splits never share a target pixel: in
///   every target image, train targets lie in rows `[0, ⌊3H/5⌋)`, validation targets in
///   `[⌊3H/5⌋, ⌊4H/5⌋)`, test targets in `[⌊4H/5⌋, H)` (a patch lies wholly inside its band).
///   Dictionaries are drawn from the same images for every split.
/// - Draw order from `RandomState(seed: instanceSeed)`: the `d` atoms (uniform over every
///   admissible position of every dictionary image, redrawn on a repeat), then the target
///   (uniform over the split's admissible positions).
public struct PatchLASSOFamily<Scalar: TensorScalar>: ProblemFamily, Sendable {
    public let nodes: Int, dimension: Int, samplesPerNode: Int
    public let lambda: Double
    public let seed: UInt64
    /// Smallest pixel standard deviation of a usable patch (≥ 1e-4).
    public let minimumContrast: Double
    public let dictionaryImages: [GrayImage]
    public let targetImages: [GrayImage]
    /// Admissible patch positions, encoded by `encode`.
    let dictionaryPool: [UInt64]
    let targetPools: [Split: [UInt64]]

    /// Throws `invalidArgument` for bad sizes or λ, no images, or a split (or the dictionary)
    /// without enough admissible patches.
    public init(dictionaryImages: [GrayImage], targetImages: [GrayImage], nodes: Int, atoms: Int, samplesPerNode: Int,
                lambda: Double, seed: UInt64, minimumContrast: Double = 0.02) throws {
        try validateShape("PatchLASSO", n: nodes, d: atoms, N: samplesPerNode, lambda: lambda)
        guard !dictionaryImages.isEmpty, !targetImages.isEmpty else {
            throw OptimizeeError.invalidArgument(what: "PatchLASSO images", detail: "need at least one dictionary image and one target image")
        }
        guard minimumContrast.isFinite, minimumContrast >= 1e-4 else {
            throw OptimizeeError.invalidArgument(what: "PatchLASSO minimum contrast", detail: "\(minimumContrast) must be finite and ≥ 1e-4 (flat patches cannot be normalized)")
        }
        for image in dictionaryImages + targetImages {
            guard image.height < 1 << 21, image.width < 1 << 21 else {
                throw OptimizeeError.invalidArgument(what: "PatchLASSO image \(image.name)", detail: "\(image.height)×\(image.width) is larger than 2²¹ pixels on a side")
            }
            let bad = image.pixels.scalars.filter { !$0.isFinite }.count
            guard bad == 0 else { throw OptimizeeError.nonFiniteValues(what: "PatchLASSO image \(image.name)", count: bad) }
        }
        self.nodes = nodes
        self.dimension = atoms
        self.samplesPerNode = samplesPerNode
        self.lambda = lambda
        self.seed = seed
        self.minimumContrast = minimumContrast
        self.dictionaryImages = dictionaryImages
        self.targetImages = targetImages
        let patch = (height: nodes, width: samplesPerNode)
        dictionaryPool = dictionaryImages.enumerated().flatMap {
            Self.admissible($0.element, index: $0.offset, rows: 0..<$0.element.height, patch: patch, minimumContrast: minimumContrast)
        }
        guard dictionaryPool.count >= atoms else {
            throw OptimizeeError.invalidArgument(
                what: "PatchLASSO dictionary", detail: "the dictionary images have \(dictionaryPool.count) admissible \(nodes)×\(samplesPerNode) patches, \(atoms) atoms are needed")
        }
        var pools = [Split: [UInt64]]()
        for split in Split.allCases {
            pools[split] = targetImages.enumerated().flatMap {
                Self.admissible($0.element, index: $0.offset, rows: Self.band(split, height: $0.element.height), patch: patch, minimumContrast: minimumContrast)
            }
            guard !pools[split]!.isEmpty else {
                throw OptimizeeError.invalidArgument(
                    what: "PatchLASSO \(split.rawValue) targets",
                    detail: "no \(nodes)×\(samplesPerNode) patch with contrast ≥ \(minimumContrast) fits the \(split.rawValue) band of the target images (sizes \(targetImages.map { "\($0.height)×\($0.width)" }))")
            }
        }
        targetPools = pools
    }

    public var name: String { "PatchLASSO(\(nodes),\(dimension),\(samplesPerNode),\(formatLambda(lambda)))" }

    /// Rows of a target image of height `H` that `split`'s patches may cover.
    public static func band(_ split: Split, height H: Int) -> Range<Int> {
        let (a, b) = (3 * H / 5, 4 * H / 5)
        switch split {
        case .train: return 0..<a
        case .validation: return a..<b
        case .test: return b..<H
        }
    }

    /// The number of admissible dictionary positions and target positions of `split`.
    public func poolSizes(_ split: Split) -> (dictionary: Int, targets: Int) { (dictionaryPool.count, targetPools[split]!.count) }

    static func encode(image: Int, row: Int, column: Int) -> UInt64 { UInt64(image) << 42 | UInt64(row) << 21 | UInt64(column) }

    static func decode(_ code: UInt64) -> PatchLocation {
        PatchLocation(image: Int(code >> 42), row: Int((code >> 21) & 0x1F_FFFF), column: Int(code & 0x1F_FFFF))
    }

    /// Every top-left position whose `patch` lies in `rows` of `image` and has pixel standard
    /// deviation ≥ `minimumContrast` (patch sums from summed-area tables of `v` and `v²`).
    static func admissible(_ image: GrayImage, index: Int, rows: Range<Int>, patch: (height: Int, width: Int), minimumContrast: Double) -> [UInt64] {
        let (H, W) = (image.height, image.width)
        guard rows.count >= patch.height, W >= patch.width else { return [] }
        var s = [Double](repeating: 0, count: (H + 1) * (W + 1)), q = s
        image.pixels.scalars.withUnsafeBufferPointer { p in
            for y in 0..<H {
                var rowSum = 0.0, rowSquares = 0.0
                for x in 0..<W {
                    let v = p[y * W + x]
                    rowSum += v
                    rowSquares += v * v
                    s[(y + 1) * (W + 1) + x + 1] = s[y * (W + 1) + x + 1] + rowSum
                    q[(y + 1) * (W + 1) + x + 1] = q[y * (W + 1) + x + 1] + rowSquares
                }
            }
        }
        let count = Double(patch.height * patch.width), threshold = minimumContrast * minimumContrast
        var out = [UInt64]()
        for y in rows.lowerBound...(rows.upperBound - patch.height) {
            let (top, bottom) = (y * (W + 1), (y + patch.height) * (W + 1))
            for x in 0...(W - patch.width) {
                let r = x + patch.width
                let sum = s[bottom + r] - s[top + r] - s[bottom + x] + s[top + x]
                let squares = q[bottom + r] - q[top + r] - q[bottom + x] + q[top + x]
                let mean = sum / count
                if squares / count - mean * mean >= threshold { out.append(encode(image: index, row: y, column: x)) }
            }
        }
        return out
    }

    /// `normalize(p)` of the patch at `location` of `image`, row-major.
    static func normalizedPatch(_ image: GrayImage, at location: PatchLocation, height: Int, width: Int) -> [Double] {
        var p = [Double]()
        p.reserveCapacity(height * width)
        for y in location.row..<(location.row + height) {
            p += image.pixels.scalars[(y * image.width + location.column)..<(y * image.width + location.column + width)]
        }
        let mean = p.reduce(0, +) / Double(p.count)
        let rms = (p.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(p.count)).squareRoot()
        return p.map { ($0 - mean) / rms }
    }

    /// The Double data of the instance with this seed, drawn from `split`'s targets.
    public func data(seed instanceSeed: UInt64, split: Split) -> PatchLASSOData {
        var rng = RandomState(seed: instanceSeed)
        let (n, N, d) = (nodes, samplesPerNode, dimension)
        var chosen = Set<UInt64>(), atoms = [PatchLocation]()
        while atoms.count < d {
            let code = dictionaryPool[rng.int(below: dictionaryPool.count)]
            if chosen.insert(code).inserted { atoms.append(Self.decode(code)) }
        }
        let pool = targetPools[split]!
        let target = Self.decode(pool[rng.int(below: pool.count)])
        var A = [Double](repeating: 0, count: n * N * d)
        for (j, location) in atoms.enumerated() {
            let column = Self.normalizedPatch(dictionaryImages[location.image], at: location, height: n, width: N)
            for r in 0..<(n * N) { A[r * d + j] = column[r] }
        }
        let b = Self.normalizedPatch(targetImages[target.image], at: target, height: n, width: N)
        return PatchLASSOData(A: Tensor(shape: [n, N, d], scalars: A), b: Tensor(shape: [n, N], scalars: b), atoms: atoms, target: target)
    }

    public func instance(seed instanceSeed: UInt64, split: Split) -> LASSO<Scalar> {
        let raw = data(seed: instanceSeed, split: split)
        return try! LASSO(A: raw.A.cast(), b: raw.b.cast(), lambda: Scalar(lambda))
    }

    /// An instance with a training target.
    public func instance(seed instanceSeed: UInt64) -> LASSO<Scalar> { instance(seed: instanceSeed, split: .train) }
}
