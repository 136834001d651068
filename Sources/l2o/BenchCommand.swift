import ArgumentParser
import Foundation
import L2O

/// `l2o bench NAME…`: timings as JSON lines on stdout, one per benchmark.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks and print one JSON line per benchmark.",
        discussion: """
            Each line has the benchmark's name, its shape fields, the scalar type, the median time in \
            milliseconds over --reps runs after --warmup runs, and GFLOP/s or GB/s where meaningful.
            Available: \(Benchmarks.all.map(\.name).joined(separator: ", ")), or 'all'.
            """)

    @Argument(help: "Benchmarks to run (or 'all').")
    var names: [String] = ["all"]

    @Option(help: "Timed repetitions per benchmark (the median is reported).")
    var reps: Int?

    @Option(help: "Untimed warm-up runs per benchmark.")
    var warmup: Int = 2

    func validate() throws {
        let known = Set(Benchmarks.all.map(\.name) + ["all"])
        for n in names where !known.contains(n) {
            throw ValidationError("unknown benchmark '\(n)'; choose from: \(known.sorted().joined(separator: ", "))")
        }
        if let reps, reps < 1 { throw ValidationError("--reps must be at least 1") }
        if warmup < 0 { throw ValidationError("--warmup must not be negative") }
    }

    func run() throws {
        let selected = names.contains("all") ? Benchmarks.all : Benchmarks.all.filter { names.contains($0.name) }
        for b in selected {
            FileHandle.standardError.write("bench \(b.name)…\n".data(using: .utf8)!)
            for line in b.run(BenchSettings(reps: reps, warmup: warmup)) {
                print(line.json)
                fflush(stdout)
            }
        }
    }
}
