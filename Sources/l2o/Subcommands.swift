import ArgumentParser

extension L2OCommand {
    /// Every subcommand of the tool; each lives in its own file.
    static var allSubcommands: [ParsableCommand.Type] {
        [BenchCommand.self, DemoCommand.self, MetaTrainCommand.self, LearnedCurvesCommand.self, EvaluateCommand.self, TuneCommand.self, InspectCommand.self, ProblemsCommand.self, TrainCommand.self, CompareOptimizersCommand.self, CoefficientsCommand.self, SheafCommand.self]
    }
}
