// The L2OOptimizers module; see docs and the files beside this one.
