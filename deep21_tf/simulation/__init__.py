"""Simulation stage: a Latin hypercube of 21cmFAST runs cut into 2D slab maps, one HDF5 file per simulation."""
