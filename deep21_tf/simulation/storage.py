"""One HDF5 file per simulation: written atomically, checked for completeness, read back (the one owner of the format).

Layout of ``sim_NNNNN.h5``::

    attrs: sim_id, index, seed, log10_mturn, log10_lx, log10_ngamma, m_turn [Msun], l_x [erg/s/(Msun/yr)],
           n_gamma, box_len [Mpc], hii_dim, cell_size [Mpc], slab_thickness, slab_spacing, slab_starts,
           redshifts, code_version (21cmFAST), deep21_version, options (JSON), n_threads, format, complete
           lines_of_sight, fast_physics (files written before that setting lack it: False)
    z10.00/ brightness_temp (n, N, N) mK, redshift space
            density (n, N, N) δ, real space
            los_axis (n,) int8: the box axis each map was projected along (0 = x, 1 = y, 2 = z)
            [brightness_temp_real_space (n, N, N) mK]
            [brightness_temp_wedge (n, N, N) mK, redshift space, foreground wedge removed (suite setting wedge;
             attrs wedge_slope: the absolute slope m(z), wedge_buffer: b in Mpc^-1)]

n = slabs per line of sight × lines of sight, the slabs of each line of sight in turn.
            attrs: redshift, mean_brightness_temp [mK], mean_neutral_fraction

A compact suite (`SuiteConfig.compact`, attr ``compact``) stores ``density`` only at its ``density_redshifts`` and
every map as float16 with gzip compression (float16 keeps 11 significant bits: rounding errors ≤ 0.016 mK where |δTb| < 32 mK, ≤ 0.06 mK
where |δTb| < 256 mK).
"""
from __future__ import annotations

import json
import os
from typing import Optional, Sequence, Tuple

import h5py
import numpy as np

import deep21_tf
from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.design import SimulationSpec
from deep21_tf.simulation.physics import SimulationResult
from deep21_tf.util.atomic import atomic_path

FILE_FORMAT = 2  # 2: los_axis per map, lines_of_sight
#: How a compact suite stores its maps (h5py dataset options).
COMPACT_STORAGE = dict(dtype=np.float16, compression="gzip", compression_opts=6, shuffle=True)
BRIGHTNESS_FIELD, DENSITY_FIELD, LOS_AXIS_FIELD = "brightness_temp", "density", "los_axis"
MAP_FIELDS = (BRIGHTNESS_FIELD, DENSITY_FIELD)
REAL_SPACE_FIELD = "brightness_temp_real_space"
WEDGE_FIELD = "brightness_temp_wedge"


def simulation_path(suite_dir: str, spec: SimulationSpec) -> str:
    """Where the file of `spec` lives in `suite_dir`."""
    return os.path.join(suite_dir, spec.sim_id + ".h5")


def redshift_group(redshift: float) -> str:
    """HDF5 group name of a redshift, e.g. ``z15.00``."""
    return f"z{redshift:05.2f}"


def write_simulation_file(path: str, spec: SimulationSpec, config: SuiteConfig, result: SimulationResult) -> None:
    """Write one simulation's maps and metadata to `path` atomically (a file that exists is complete)."""
    with atomic_path(path) as temp_path:
        with h5py.File(temp_path, "w") as handle:
            attrs = handle.attrs
            attrs.update(sim_id=spec.sim_id, index=spec.index, seed=spec.seed, **spec.parameters())
            attrs.update(m_turn=10.0 ** spec.log10_mturn, l_x=10.0 ** spec.log10_lx, n_gamma=10.0 ** spec.log10_ngamma)
            attrs.update(box_len=config.box_len, hii_dim=config.hii_dim, cell_size=config.cell_size,
                         slab_thickness=config.slab_thickness, slab_spacing=config.slab_spacing,
                         slab_starts=np.asarray(config.slab_starts), lines_of_sight=config.lines_of_sight,
                         fast_physics=config.fast_physics, compact=config.compact,
                         redshifts=np.asarray(sorted(config.redshifts)))
            attrs.update(code_version=result.code_version, deep21_version=deep21_tf.__version__,
                         options=json.dumps(result.options), n_threads=result.n_threads,
                         format=FILE_FORMAT)
            storage = COMPACT_STORAGE if config.compact else {}
            for redshift in sorted(config.redshifts):
                maps = result.maps[redshift]
                group = handle.create_group(redshift_group(redshift))
                group.attrs.update(redshift=redshift, mean_brightness_temp=maps.mean_brightness_temp,
                                   mean_neutral_fraction=maps.mean_neutral_fraction)
                group.create_dataset(BRIGHTNESS_FIELD, data=maps.brightness_temp, **storage)
                if config.keeps_density(redshift):
                    group.create_dataset(DENSITY_FIELD, data=maps.density, **storage)
                group.create_dataset(LOS_AXIS_FIELD, data=maps.los_axis)
                if config.keep_real_space_21cm:
                    group.create_dataset(REAL_SPACE_FIELD, data=maps.brightness_temp_real_space, **storage)
                if config.wedge:
                    from deep21_tf.simulation.wedge import horizon_slope  # (astropy: only when needed)

                    wedge = group.create_dataset(WEDGE_FIELD, data=maps.brightness_temp_wedge, **storage)
                    wedge.attrs.update(wedge_slope=config.wedge_slope * horizon_slope(redshift),
                                       wedge_buffer=config.wedge_buffer)
            attrs["complete"] = True


def incompleteness(path: str, spec: SimulationSpec, config: SuiteConfig) -> Optional[str]:
    """Why the file at `path` is not a complete file of `spec` in this suite, or None when it is complete."""
    if not os.path.exists(path):
        return "missing"
    try:
        with h5py.File(path, "r") as handle:
            attrs = handle.attrs
            if not attrs.get("complete", False) or attrs.get("format") != FILE_FORMAT:
                return "not marked complete"
            if int(attrs["seed"]) != spec.seed or any(
                    not np.isclose(attrs[name], getattr(spec, name)) for name in PARAMETER_NAMES):
                return "seed or parameters differ from the manifest"
            for setting in ("fast_physics", "compact"):
                wanted = getattr(config, setting)
                if bool(attrs.get(setting, False)) != wanted:
                    return f"made with {setting}={not wanted}, the manifest says {wanted}"
            shape = (config.maps_per_box, config.hii_dim, config.hii_dim)
            extra = (((REAL_SPACE_FIELD,) if config.keep_real_space_21cm else ())
                     + ((WEDGE_FIELD,) if config.wedge else ()))
            for redshift in config.redshifts:
                name = redshift_group(redshift)
                if name not in handle:
                    return f"redshift group {name} missing"
                fields = (MAP_FIELDS if config.keeps_density(redshift) else (BRIGHTNESS_FIELD,)) + extra
                for field in fields:
                    if field not in handle[name] or handle[name][field].shape != shape:
                        return f"{name}/{field} missing or not of shape {shape}"
                if LOS_AXIS_FIELD not in handle[name] or handle[name][LOS_AXIS_FIELD].shape != shape[:1]:
                    return f"{name}/{LOS_AXIS_FIELD} missing or not of shape {shape[:1]}"
    except (OSError, KeyError) as error:
        return f"unreadable ({error})"
    return None


def read_maps(path: str, redshifts: Sequence[float], field_21cm: str = BRIGHTNESS_FIELD
              ) -> Tuple[np.ndarray, Optional[np.ndarray], np.ndarray, dict]:
    """(21 cm maps in mK, δ maps (None where a compact file lacks them), line-of-sight axis per map, file attributes).

    Maps are (n_maps, H, W, len(redshifts)) float32; the line-of-sight axes (n_maps,) are the same at every redshift.
    `field_21cm` picks the 21 cm maps: BRIGHTNESS_FIELD, or WEDGE_FIELD (the foreground wedge removed).
    """
    with h5py.File(path, "r") as handle:
        groups = [handle[redshift_group(z)] for z in redshifts]
        map_21cm = np.stack([group[field_21cm][()] for group in groups], axis=-1).astype(np.float32)
        density = (np.stack([group[DENSITY_FIELD][()] for group in groups], axis=-1).astype(np.float32)
                   if all(DENSITY_FIELD in group for group in groups) else None)
        los_axis = groups[0][LOS_AXIS_FIELD][()].astype(np.int32)
        attrs = dict(handle.attrs)
    return map_21cm, density, los_axis, attrs
