"""One 21cmFAST run with the paper's physics, reduced to 2D maps. Call it in a process of its own.

py21cmfast keeps parameter structs and tables as C globals, so two simulations must never share a process
concurrently; `deep21_tf.simulation.worker` gives each simulation a fresh process.
"""
from __future__ import annotations

import dataclasses
import gc
import json
import warnings
from typing import Dict, Optional

import numpy as np

from deep21_tf.simulation.config import AXIS_NAMES, SuiteConfig
from deep21_tf.simulation.design import SimulationSpec
from deep21_tf.simulation.slabs import project_slabs

#: 21cmFAST options fixed for every run: the paper's 21cmFAST v2 model (BUILD_NOTES.md, "Simulation stage").
FIXED_OPTIONS = dict(
    USE_TS_FLUCT=True,
    INHOMO_RECO=False,
    PHOTON_CONS_TYPE="no-photoncons",
    USE_CMB_HEATING=False,
    USE_LYA_HEATING=False,
)
TEMPLATE = "simple"  # SOURCE_MODEL="E-INTEGRAL", USE_EXP_FILTER=False, sharp-k filter, no minihalos
#: `SuiteConfig.fast_physics`: 21cmFAST's own `size-tiny` choices — logarithmic z' steps of 1.2 instead of 1.02
#: (fewer spin-temperature steps) and initial conditions at 2x HII_DIM instead of 3x. ~5x faster at 32³, but
#: it changes the signal (BUILD_NOTES.md, "Simulation stage"): for demos and tests, never for science.
FAST_PHYSICS_OPTIONS = dict(ZPRIME_STEP_FACTOR=1.2, HIRES_TO_LOWRES_FACTOR=2)
RSD_SUBCELLS = 4
#: From this box size up, garbage is collected after every step: 21cmFAST leaves reference cycles that hold
#: ~4 N³ floats per step (200³: 19 GB peak without, 11 GB with). Below it the ~0.1 s per collection (63 steps)
#: would cost more than the memory it saves (32³: +6 s on a 19 s run).
GC_MIN_HII_DIM = 100


@dataclasses.dataclass
class RedshiftMaps:
    """Maps of one simulation at one redshift. Maps are (n_maps, N, N) float32: the slabs perpendicular to each
    line of sight in turn (`los_axis` says which box axis each map was projected along)."""

    redshift: float
    brightness_temp: np.ndarray  # δTb in redshift space, mK
    density: np.ndarray  # matter density contrast δ in real space, dimensionless
    brightness_temp_real_space: np.ndarray  # δTb in real space, mK
    mean_brightness_temp: float  # volume mean of δTb over the box, mK
    mean_neutral_fraction: float  # volume mean of x_HI over the box
    los_axis: np.ndarray  # (n_maps,) int8: box axis (0 = x, 1 = y, 2 = z) of each map's line of sight
    brightness_temp_wedge: Optional[np.ndarray] = None  # δTb without the foreground wedge (`config.wedge`), mK


@dataclasses.dataclass
class SimulationResult:
    """Everything a simulation contributes to the suite."""

    maps: Dict[float, RedshiftMaps]
    code_version: str
    options: dict  # the 21cmFAST input parameters actually used
    n_threads: int  # OpenMP threads: 21cmFAST draws the initial conditions with one RNG stream per thread


def build_inputs(spec: SimulationSpec, config: SuiteConfig, n_threads: int):
    """The py21cmfast InputParameters for one simulation (log10 M_turn and L_X, linear N_γ for POP2_ION).

    Lines of sight other than z need the x and y velocities, which 21cmFAST keeps only on request; a
    `fast_physics` suite adds FAST_PHYSICS_OPTIONS (its node redshifts follow the coarser step).
    """
    import py21cmfast as p21c

    velocities = dict(KEEP_3D_VELOCITIES=True) if config.lines_of_sight > 1 else {}
    fast = FAST_PHYSICS_OPTIONS if config.fast_physics else {}

    return p21c.InputParameters.from_template(
        TEMPLATE,
        random_seed=spec.seed,
        HII_DIM=config.hii_dim,
        BOX_LEN=config.box_len,
        N_THREADS=n_threads,
        M_TURN=spec.log10_mturn,
        L_X=spec.log10_lx,
        POP2_ION=10.0 ** spec.log10_ngamma,
        **FIXED_OPTIONS,
        **velocities,
        **fast,
    ).with_logspaced_redshifts(zmin=min(config.redshifts))


def describe_inputs(inputs) -> dict:
    """The input parameters as a JSON-serialisable dict (stored with every simulation)."""
    described = {}
    for group in ("simulation_options", "matter_options", "cosmo_params", "astro_params", "astro_options"):
        struct = getattr(inputs, group, None)
        if struct is not None:
            described[group] = json.loads(json.dumps(struct.asdict(), default=str))
    return described


def run_simulation(spec: SimulationSpec, config: SuiteConfig, n_threads: int = 1) -> SimulationResult:
    """Run 21cmFAST for one design point and cut the maps at the config's redshifts.

    For each line of sight the 21 cm box is put in redshift space along it (`redshift_space`, the one velocity
    treatment) and cut into slabs perpendicular to it; δ stays in real space and is cut the same way. For large boxes garbage is collected after every step to keep
    memory flat (see GC_MIN_HII_DIM).
    """
    warnings.filterwarnings("ignore", message="Trying to purge array")
    warnings.filterwarnings("ignore", message="Install numba")
    import py21cmfast as p21c

    inputs = build_inputs(spec, config, n_threads)
    wanted = sorted(config.redshifts)
    maps: Dict[float, RedshiftMaps] = {}
    for coeval, is_output in p21c.generate_coeval(inputs=inputs, out_redshifts=wanted, write=False):
        if is_output:
            produced = coeval.redshift
            redshift = min(wanted, key=lambda z: abs(z - produced))
            maps[redshift] = _cut_maps(coeval, redshift, config)
        del coeval
        if config.hii_dim >= GC_MIN_HII_DIM:
            gc.collect()
    missing = set(wanted) - set(maps)
    if missing:
        raise RuntimeError(f"21cmFAST returned no coeval box at redshifts {sorted(missing)}")
    return SimulationResult(maps=maps, code_version=p21c.__version__, options=describe_inputs(inputs),
                            n_threads=n_threads)


def redshift_space(coeval, field: str, axis: int) -> np.ndarray:
    """`field` of a coeval box moved to redshift space along array axis `axis` (0, 1, 2 = x, y, z).

    py21cmfast's `apply_rsds` always displaces along the last array axis (`Coeval.apply_rsds(axis=...)` only
    picks the velocity component), so the chosen axis and its velocity are moved last, shifted and moved back.
    """
    from py21cmfast.rsds import apply_rsds

    values = np.moveaxis(np.asarray(getattr(coeval, field)), axis, -1)
    velocity = np.moveaxis(np.asarray(getattr(coeval, "velocity_" + AXIS_NAMES[axis])), axis, -1)
    shifted = apply_rsds(field=np.ascontiguousarray(values), los_velocity=np.ascontiguousarray(velocity),
                         redshifts=coeval.redshift, inputs=coeval.inputs, periodic=True, n_rsd_subcells=RSD_SUBCELLS)
    return np.moveaxis(np.asarray(shifted, dtype=np.float32), -1, axis)


def _cut_maps(coeval, redshift: float, config: SuiteConfig) -> RedshiftMaps:
    tb_real = np.asarray(coeval.brightness_temp, dtype=np.float32)
    density = np.asarray(coeval.perturbed_field.get("density"), dtype=np.float32)
    neutral = np.asarray(coeval.ionized_box.get("neutral_fraction"), dtype=np.float32)
    starts, thickness = config.slab_starts, config.slab_thickness

    def slabs_along(box: np.ndarray, axis: int) -> np.ndarray:
        return project_slabs(np.moveaxis(box, axis, -1), starts, thickness)

    axes = config.los_axes
    redshift_boxes = [redshift_space(coeval, "brightness_temp", axis) for axis in axes]
    wedge = None
    if config.wedge:  # removed in 3D, along each box's own line of sight (moved last, as for its slabs)
        from deep21_tf.simulation.wedge import horizon_slope, remove_wedge  # (astropy: only when needed)

        slope = config.wedge_slope * horizon_slope(redshift)
        wedge = np.concatenate([project_slabs(remove_wedge(np.moveaxis(box, axis, -1), config.box_len, slope,
                                                           config.wedge_buffer), starts, thickness)
                                for box, axis in zip(redshift_boxes, axes)])
    return RedshiftMaps(
        redshift=redshift,
        brightness_temp=np.concatenate([slabs_along(box, axis) for box, axis in zip(redshift_boxes, axes)]),
        density=np.concatenate([slabs_along(density, axis) for axis in axes]),
        brightness_temp_real_space=np.concatenate([slabs_along(tb_real, axis) for axis in axes]),
        mean_brightness_temp=float(tb_real.mean(dtype=np.float64)),
        mean_neutral_fraction=float(neutral.mean(dtype=np.float64)),
        los_axis=np.repeat(np.asarray(axes, dtype=np.int8), len(starts)),
        brightness_temp_wedge=wedge,
    )
