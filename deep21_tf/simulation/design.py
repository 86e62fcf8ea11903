"""The Latin-hypercube design of a suite: one point per simulation, drawn once and stored in the manifest.

With a `design_size` the hypercube and the seeds are drawn for that many points and the suite is their first
`num_sims`: the design of a smaller suite is then a prefix of a larger one's (scipy's LatinHypercube returns its
points in random order, so a prefix is a random subset of the hypercube's strata).
"""
from __future__ import annotations

import dataclasses
from typing import List

import numpy as np

from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.simulation.config import MAX_TRAINING_SEED, SuiteConfig


@dataclasses.dataclass(frozen=True)
class SimulationSpec:
    """One simulation of the suite: its index, its 21cmFAST random seed and its parameters (log10)."""

    index: int
    seed: int
    log10_mturn: float
    log10_lx: float
    log10_ngamma: float

    @property
    def sim_id(self) -> str:
        """Stable identifier, also the file stem: ``sim_00042``."""
        return f"sim_{self.index:05d}"

    def parameters(self) -> dict:
        """{parameter name: value in log10}."""
        return {name: getattr(self, name) for name in PARAMETER_NAMES}


def draw_design(config: SuiteConfig) -> List[SimulationSpec]:
    """Draw the seeded Latin hypercube over the config's parameter ranges and a distinct seed per simulation.

    The same config always gives the same design; configs that differ only in num_sims, with the same design_size,
    give prefixes of one design. Seeds are distinct and in [1, 90000).
    """
    from scipy.stats import qmc  # here, not at the top: every simulation's process imports this module but never
    # draws a design, and scipy.stats is a slow import (~0.1 s idle, ~3 s on a loaded host)

    rng = np.random.default_rng(config.design_seed)
    unit = qmc.LatinHypercube(d=len(PARAMETER_NAMES), seed=rng).random(config.design_points)
    ranges = config.parameter_ranges()
    low = np.array([ranges[name][0] for name in PARAMETER_NAMES])
    high = np.array([ranges[name][1] for name in PARAMETER_NAMES])
    points = qmc.scale(unit, low, high)
    seeds = rng.choice(np.arange(1, MAX_TRAINING_SEED), size=config.design_points, replace=False)
    return [
        SimulationSpec(index=i, seed=int(seeds[i]), **{name: float(points[i, j]) for j, name in enumerate(PARAMETER_NAMES)})
        for i in range(config.num_sims)
    ]
