import ArgumentParser
import Foundation
import L2O

/// `l2o inspect FILE`: describes a checkpoint, instance set or any HDF5 file.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Print the kind, config and tree (shapes, dtypes, min/max/mean) of an HDF5 checkpoint.")

    @Argument(help: "The HDF5 file to describe.")
    var file: String

    func run() throws {
        do {
            print(try HDF5Summary.describe(fileAt: URL(fileURLWithPath: file)))
        } catch let error as CheckpointError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
