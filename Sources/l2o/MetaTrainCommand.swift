import ArgumentParser
import Foundation
import L2O

/// `l2o meta-train`: MiLoDo on LASSO with a curriculum, resumable after a kill.
struct MetaTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "meta-train",
        abstract: "Meta-train a MiLoDo learned decentralized optimizer on LASSO problems.",
        discussion: """
            Writes a weights checkpoint to --out when done. While training, a resume checkpoint \
            (<out>.resume.h5) is written after every stage and every --checkpoint-minutes; running \
            the same command again resumes from it automatically.
            """)

    @Option(help: "Learned rule: milodo (decentralized, on LASSO problems of --suite) or lstm (the coordinate-wise LSTM optimizer of Andrychowicz et al. 2016, on MLP training tasks of --dataset).")
    var rule: String = "milodo"
    @Option(help: "Training problems: a suite JSON or an instance-set .h5 file.")
    var suite: String = "Optimizees/lasso-10-300-10-0.1.json"
    @OptionGroup var lstmTasks: LSTMTaskOptions
    @Option(help: "Curriculum: 'paper' (MiLoDo's five stages), 'demo' (short), 'lstm-mlp' (the LSTM optimizer's), or a JSON file (default: paper for milodo, lstm-mlp for lstm).")
    var curriculum: String?
    @Option(help: "Weights checkpoint to write (default: Checkpoints/milodo.h5, or Checkpoints/lstm-mlp.h5 with --rule lstm).")
    var out: String?

    /// `--out`, or the rule's default (`Checkpoints/milodo.h5`, `Checkpoints/lstm-mlp.h5`).
    var outPath: String { out ?? (rule == "lstm" ? "Checkpoints/lstm-mlp.h5" : "Checkpoints/milodo.h5") }
    @Option(help: "Communication graph: ring, grid, tree, exponential, erdos-renyi, complete, star.")
    var topology: String = "ring"
    @Option(help: "Mixing rule for the special initialization: uniform, metropolis-hastings, max-degree, laplacian.")
    var mixing: String = "uniform"
    @Option(help: "Number of training instances to use (default: all of the train split).")
    var trainCount: Int?
    @Option(help: "Problems per meta-batch.") var batchSize: Int = 32
    @Option(help: "Step size γ₀ of the special initialization.") var gamma0: Double = 0.03
    @Option(help: "Global-norm clip of the meta-gradient.") var clipNorm: Double = 1.0
    @Option(help: "Weight decay of the Adam meta-optimizer.") var weightDecay: Double = 1e-4
    @Option(help: "Random seed (initialization, data order, LSTM states).") var seed: UInt64 = 0
    @Option(help: "Weight c of a consensus term in the meta-loss, F(x̄) + c·(1/n)Σ‖x_i − x̄‖² (0 = the paper's loss).")
    var consensusWeight: Double = 0
    @Option(help: "Bound the learned coefficients within a factor 1 ± α of Exact Diffusion's (0 < α < 1); 0 = the paper's ReLU/exp outputs.")
    var boundedAlpha: Double = 0
    @Option(help: "Bound of the step p_i alone, within 1 ± α_M of γ₀ (needs --bounded-alpha; 0 = the same α).")
    var stepAlpha: Double = 0
    @Option(help: "Inputs of the step network: 'paper' ([g, y]) or 'residual' ([g, y, |g+y|/λ], lets settled support coordinates take larger steps).")
    var stepFeatures: String = "paper"
    @Flag(help: "Normalize the step by each problem's largest local curvature L (estimated from local gradients): the rule runs at L_ref/L times its learned step, L_ref = the training problems' median L, so it transfers to data of another smoothness.")
    var normalizeStep = false
    @Option(help: "Minutes between periodic resume checkpoints.") var checkpointMinutes: Double = 10

    func validate() throws {
        guard ["milodo", "lstm"].contains(rule) else { throw ValidationError("unknown --rule '\(rule)'; choose milodo or lstm") }
        if rule == "lstm" { try lstmTasks.validate() }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1") }
        guard gamma0 > 0, gamma0.isFinite else { throw ValidationError("--gamma0 must be positive") }
        guard clipNorm > 0 else { throw ValidationError("--clip-norm must be positive") }
        guard weightDecay >= 0 else { throw ValidationError("--weight-decay must be ≥ 0") }
        guard gamma0 <= 1e6, clipNorm.isFinite, weightDecay.isFinite else { throw ValidationError("--gamma0 (≤ 1e6), --clip-norm and --weight-decay must be finite") }
        guard checkpointMinutes > 0 else { throw ValidationError("--checkpoint-minutes must be positive") }
        guard boundedAlpha == 0 || (boundedAlpha > 0 && boundedAlpha < 1) else { throw ValidationError("--bounded-alpha must be 0 or in (0, 1)") }
        guard stepAlpha == 0 || (boundedAlpha > 0 && stepAlpha > 0 && stepAlpha < 1) else {
            throw ValidationError("--step-alpha must be 0 or in (0, 1), and needs --bounded-alpha")
        }
        guard MiLoDoStepFeatures(rawValue: stepFeatures) != nil else {
            throw ValidationError("unknown --step-features '\(stepFeatures)'; choose from \(MiLoDoStepFeatures.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard consensusWeight >= 0, consensusWeight.isFinite else { throw ValidationError("--consensus-weight must be ≥ 0") }
        if let trainCount, trainCount < 1 { throw ValidationError("--train-count must be ≥ 1") }
        guard MixingRule(rawValue: mixing) != nil else {
            throw ValidationError("unknown --mixing '\(mixing)'; choose from \(MixingRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
    }

    static func loadCurriculum(_ name: String) throws -> Curriculum {
        switch name {
        case "paper": return .paper
        case "demo": return .demo
        case "lstm-mlp": return .lstmMLP
        default:
            do { return try Curriculum.load(from: URL(fileURLWithPath: name)) } catch { throw InputError("\(error)") }
        }
    }

    func run() throws {
        if rule == "lstm" { return try runLSTM() }
        let curriculum = try Self.loadCurriculum(self.curriculum ?? "paper")
        // Output paths first: a typo must not cost the whole training.
        let outURL = try OutputFolder.prepareFile(outPath, flag: "--out", extensions: ["h5"])
        printErr("Loading training problems from \(suite)…")
        if curriculum.needsReferenceOptima { printErr("The curriculum's log-gap loss needs F*: solving every training instance with FISTA…") }
        let training: [LASSO<Float>] = try ProblemSource.lasso(suite, split: .train, count: trainCount, optimum: curriculum.needsReferenceOptima)
        let topo = try makeTopology(topology, nodes: training[0].nodes, seed: seed)
        let w = try MixingMatrix<Float>(topology: topo, rule: MixingRule(rawValue: mixing)!)
        var settings = MetaTrainingSettings()
        settings.batchSize = min(batchSize, training.count)
        var milodo = MiLoDoSettings()
        milodo.gamma0 = gamma0
        settings.clipNorm = clipNorm
        settings.weightDecay = weightDecay
        settings.seed = seed
        milodo.consensusWeight = consensusWeight
        milodo.boundedAlpha = boundedAlpha
        milodo.stepAlpha = stepAlpha
        milodo.stepFeatures = MiLoDoStepFeatures(rawValue: stepFeatures)!
        if normalizeStep {
            var L = [Double]()
            for lo in stride(from: 0, to: training.count, by: 64) {
                L += MiLoDoRule<LASSO<Float>>.largestLocalCurvatures(Array(training[lo..<min(lo + 64, training.count)]))
            }
            L.sort()
            milodo.stepScaleReference = L[L.count / 2]
            printErr(String(format: "Step normalization: median largest local curvature L_ref = %.4g (range %.4g–%.4g)", milodo.stepScaleReference, L.first!, L.last!))
        }
        var rng = RandomState(seed: seed)
        let model = try MiLoDoModel<Float>(topology: topo, stepFeatures: milodo.stepFeatures, rng: &rng)
        let p0 = training[0]
        let config = MiLoDoConfig(model: model, mixing: w, curriculum: curriculum, settings: settings, milodo: milodo,
                                  trainedOn: "\(suite): \(training.count) × LASSO(\(p0.nodes),\(p0.dimension),\(p0.samplesPerNode),\(p0.lambda))")
        try config.applyOutputs(to: model, mixing: w)
        model.specialInitialize(gamma0: Float(gamma0), mixing: w, rng: &rng)
        let trainer = try MetaTrainer(model: model, mixing: w, training: training, curriculum: curriculum, settings: settings, milodo: milodo)
        try runMetaTraining(
            trainer, config: config, outURL: outURL, checkpointMinutes: checkpointMinutes, objective: "F(x̄ᴷ)",
            announce: "Meta-training MiLoDo (\(model.parameterCount) parameters, \(topo)) on \(config.trainedOn), curriculum '\(curriculum.name)' (\(curriculum.stages.count) stages)",
            noStepAdvice: "Lower the meta learning rate or --gamma0, or check the problems"
        ) { metadata in try MiLoDoCheckpoint.weights(model: model, config: config, metadata: metadata) }
    }
}
