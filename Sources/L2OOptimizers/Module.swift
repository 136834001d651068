// The L2OOptimizers module: the `Optimizer` protocol and its `ParameterOptimizer` refinement, learning-rate schedules, gradient processing,
// the classic first-order optimizers and BADM. See `docs/optimizers.md`.
