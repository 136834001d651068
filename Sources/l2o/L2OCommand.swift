import ArgumentParser
import L2O

/// The `l2o` command-line tool: one subcommand per job.
@main
struct L2OCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "l2o",
        abstract: "Learned optimizers: meta-train, evaluate, benchmark and inspect.",
        subcommands: L2OCommand.allSubcommands)

    /// Checks the environment variables the library reads before any command runs.
    static func main() {
        do { try CoordinatewiseKernel.validateEnvironment() } catch { exit(withError: error) }
        main(nil)
    }
}
