// The L2OData module; see docs and the files beside this one.
