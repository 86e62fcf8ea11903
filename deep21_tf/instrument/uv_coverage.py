"""The uv coverage of a night's track, gridded on a map's Fourier grid by tools21cm, and kept on disk.

`baselines_per_snapshot(subarray, z, n_pixels, box_len)` → (n, n) float64: in each cell of the DFT grid of an
n×n map of side `box_len` (Mpc) at redshift z, the number of baselines per snapshot (averaged over the
DAILY_HOURS track, both (u, v) and (−u, −v) counted, half each: tools21cm's ``include_mirror_baselines``).
Numpy FFT order (zero frequency at [0, 0]); axis 0 is v (north, the image's rows), axis 1 is u (east, columns).

tools21cm's `get_uv_daily_observation` loops over every snapshot of the track (minutes for AA4 on large grids),
so each geometry is computed once and cached in `cache_dir()` (set DEEP21_CACHE_DIR to move it).
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os

import numpy as np

from deep21_tf.cosmology import comoving_distance_mpc
from deep21_tf.instrument.settings import DAILY_HOURS, DECLINATION_DEG, TRACK_STEP_S
from deep21_tf.util.atomic import atomic_path

CACHE_ENV = "DEEP21_CACHE_DIR"


def cache_dir() -> str:
    """Where computed uv coverages are kept: $DEEP21_CACHE_DIR/uv_coverage, else ~/.cache/deep21_tf/uv_coverage."""
    root = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "deep21_tf")
    return os.path.join(root, "uv_coverage")


def _tools21cm_version() -> str:
    import importlib.metadata

    return importlib.metadata.version("tools21cm")


def baselines_per_snapshot(subarray: str, z: float, n_pixels: int, box_len: float) -> np.ndarray:
    """(n, n) baselines per snapshot in each uv cell (see the module docstring), from the cache or tools21cm."""
    key = dict(subarray=subarray, redshift=round(float(z), 6), n_pixels=int(n_pixels), box_len=round(float(box_len), 6),
               daily_hours=DAILY_HOURS, declination_deg=DECLINATION_DEG, track_step_s=TRACK_STEP_S,
               tools21cm=_tools21cm_version())
    text = json.dumps(key, sort_keys=True)
    path = os.path.join(cache_dir(), f"uv_{hashlib.sha256(text.encode()).hexdigest()[:20]}.npz")
    if os.path.isfile(path):
        with np.load(path, allow_pickle=False) as stored:
            if str(stored["key"]) == text:
                return stored["counts"]
    counts = _grid_tracks(subarray, float(z), int(n_pixels), float(box_len))
    os.makedirs(cache_dir(), exist_ok=True)
    with atomic_path(path) as temp_path:
        np.savez(temp_path, counts=counts, key=np.asarray(text))
    return counts


def _grid_tracks(subarray: str, z: float, n_pixels: int, box_len: float) -> np.ndarray:
    """tools21cm's gridded daily track, transposed to (v, u)."""
    with contextlib.redirect_stdout(io.StringIO()):  # tools21cm prints progress and every zero-length pair
        from tools21cm import cosmo
        from tools21cm.radio_telescope_layout import get_SKA_Low_layout, get_uv_daily_observation

        stations = get_SKA_Low_layout(subarray_type=subarray, unit="xyz", verbose=False)
        # tools21cm converts the box to an angle with its own cosmology (WMAP7): give it the side that makes
        # its angle ours, box_len / D_C(z) of the training cosmology.
        equivalent_box = box_len / comoving_distance_mpc(z) * float(cosmo.z_to_cdist(z))
        counts, _ = get_uv_daily_observation(n_pixels, z, stations, total_int_time=DAILY_HOURS,
                                             int_time=TRACK_STEP_S, boxsize=equivalent_box,
                                             declination=DECLINATION_DEG, include_mirror_baselines=True,
                                             verbose=False)
    return np.ascontiguousarray(np.asarray(counts, np.float64).T)
