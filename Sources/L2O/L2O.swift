/// The umbrella module: `import L2O` brings in the whole public API.
@_exported import L2OCore
@_exported import L2ONN
@_exported import L2OCheckpoint
@_exported import L2OData
@_exported import L2OOptimizees
@_exported import L2OOptimizers
@_exported import L2ODecentralized
@_exported import L2OSheaf
@_exported import L2OMeta
