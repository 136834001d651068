// The L2OOptimizees module; see docs and the files beside this one.
