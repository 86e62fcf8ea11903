"""A synthetic suite in the simulation stage's exact format (manifest + HDF5 files), with random maps.

For the builder's dummy data and the pipeline benchmarks, where file layout and sizes matter but physics does
not (a 200³ 21cmFAST run takes ~30 min). Maps: Gaussian 21 cm brightness temperature (mK), log-normal δ, and (a
suite with `wedge`) unit Gaussian "wedge-filtered" 21 cm maps.
"""
from __future__ import annotations

import numpy as np

from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.manifest import open_or_create_suite
from deep21_tf.simulation.physics import RedshiftMaps, SimulationResult
from deep21_tf.simulation.storage import simulation_path, write_simulation_file


def random_result(config: SuiteConfig, rng: np.random.Generator) -> SimulationResult:
    """Random maps of the shapes a real run of `config` gives, for every redshift."""
    shape = (config.maps_per_box, config.hii_dim, config.hii_dim)
    los_axis = np.repeat(np.asarray(config.los_axes, dtype=np.int8), len(config.slab_starts))
    maps = {}
    for z in config.redshifts:
        temperature = rng.normal(-40.0 - 3.0 * z, 10.0, shape).astype(np.float32)
        density = (rng.lognormal(0.0, 0.3, shape) - 1.0).astype(np.float32)
        wedge = rng.normal(0.0, 1.0, shape).astype(np.float32) if config.wedge else None
        maps[z] = RedshiftMaps(redshift=z, brightness_temp=temperature, density=density,
                               brightness_temp_real_space=temperature, mean_brightness_temp=float(temperature.mean()),
                               mean_neutral_fraction=1.0, los_axis=los_axis, brightness_temp_wedge=wedge)
    return SimulationResult(maps=maps, code_version="synthetic", options={}, n_threads=1)


def write_synthetic_suite(suite_dir: str, config: SuiteConfig, seed: int = 0) -> None:
    """Write the manifest and one complete file per simulation of `config` into `suite_dir` (deterministic)."""
    rng = np.random.default_rng(seed)
    for spec in open_or_create_suite(suite_dir, config):
        write_simulation_file(simulation_path(suite_dir, spec), spec, config, random_result(config, rng))
