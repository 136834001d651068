// swift-tools-version:5.10
import PackageDescription

import Foundation

/// Release builds drop bounds and overflow checks (`-Ounchecked`) in the numeric modules, where
/// they cost up to 27% (`docs/performance.md`, "Checked and unchecked release builds"); the modules
/// that parse what users hand in — files (`L2OCheckpoint`, `L2OData`) and flags (`l2o`) — keep
/// them (`-O`). Every check bad input can reach throws a typed error either way; debug builds keep
/// every check.
/// `L2O_TARGET_CPU` (set by the Makefile when the CPU has AVX2 and FMA, e.g. `haswell`) lets the
/// vectorized kernels use those instructions; without it the code runs on any x86-64.
/// An empty value means a generic x86-64 build.
let targetCPUName = ProcessInfo.processInfo.environment["L2O_TARGET_CPU"].flatMap { $0.isEmpty ? nil : $0 }
let targetCPU = targetCPUName.map { ["-target-cpu", $0] } ?? []
let fast: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked"] + targetCPU, .when(configuration: .release)),
]
let checked: [SwiftSetting] = targetCPU.isEmpty ? [] : [.unsafeFlags(targetCPU, .when(configuration: .release))]
/// The C kernels are always optimized (they are small and hot); with a target CPU they use its
/// vector instructions (AVX2/FMA paths), otherwise portable scalar code.
let cFast: [CSetting] = [
    .unsafeFlags(["-O3"] + (targetCPUName.map { ["-march=\($0)"] } ?? [])),
]

let package = Package(
    name: "L2O",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "L2O", targets: ["L2O"]),
        .executable(name: "l2o", targets: ["l2o"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS", path: "Sources/CBLAS", pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(
            name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
            providers: [.apt(["libhdf5-dev"])]),
        .systemLibrary(
            name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .target(name: "CL2OKernels", path: "Sources/CL2OKernels", cSettings: cFast),
        .target(name: "L2OCore", dependencies: ["CBLAS", "CL2OKernels"], swiftSettings: fast),
        .target(name: "L2ONN", dependencies: ["L2OCore"], swiftSettings: fast),
        .target(name: "L2OCheckpoint", dependencies: ["L2OCore", "CHDF5"], swiftSettings: checked),
        .target(name: "L2OData", dependencies: ["L2OCore", "CZlib", "CPNG"], swiftSettings: checked),
        .target(name: "L2OOptimizees", dependencies: ["L2OCore", "L2ONN", "L2OData", "L2OCheckpoint"], swiftSettings: fast),
        .target(name: "L2OOptimizers", dependencies: ["L2OCore", "L2ONN", "L2OOptimizees"], swiftSettings: fast),
        .target(name: "L2OSheaf", dependencies: ["L2OCore", "L2ONN", "L2OData", "L2OOptimizers"], swiftSettings: fast),
        .target(
            name: "L2ODecentralized", dependencies: ["L2OCore", "L2ONN", "L2OOptimizees", "L2OOptimizers"],
            swiftSettings: fast),
        .target(
            name: "L2OMeta",
            dependencies: ["L2OCore", "L2ONN", "L2OCheckpoint", "L2OData", "L2OOptimizees", "L2OOptimizers", "L2ODecentralized", "L2OSheaf"],
            swiftSettings: fast),
        .target(
            name: "L2O",
            dependencies: [
                "L2OCore", "L2ONN", "L2OCheckpoint", "L2OData", "L2OOptimizees", "L2OOptimizers", "L2ODecentralized",
                "L2OSheaf", "L2OMeta",
            ],
            swiftSettings: fast),
        .executableTarget(
            name: "l2o",
            dependencies: ["L2O", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: checked),
        .testTarget(name: "L2OCoreTests", dependencies: ["L2OCore"]),
        .testTarget(name: "L2ONNTests", dependencies: ["L2ONN"]),
        .testTarget(name: "L2OCheckpointTests", dependencies: ["L2OCheckpoint"]),
        .testTarget(name: "L2ODataTests", dependencies: ["L2OData"]),
        .testTarget(name: "L2OOptimizeesTests", dependencies: ["L2OOptimizees", "L2OCheckpoint", "L2OOptimizers"]),
        .testTarget(name: "L2OOptimizersTests", dependencies: ["L2OOptimizers", "L2OCheckpoint"]),
        .testTarget(name: "L2ODecentralizedTests", dependencies: ["L2ODecentralized"]),
        .testTarget(name: "L2OSheafTests", dependencies: ["L2OSheaf"]),
        .testTarget(name: "L2OMetaTests", dependencies: ["L2OMeta"], exclude: ["Fixtures"]),
        .testTarget(name: "l2oTests", dependencies: ["l2o"]),
    ]
)
