"""Summaries over a set of maps and over k-bands."""
from __future__ import annotations

from typing import Tuple

import numpy as np


def mean_and_std(values, axis: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (ddof = 0, as the paper's bands) of `values` along `axis` (the maps)."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0 or array.shape[axis] == 0:
        raise ValueError(f"values must have at least one entry along axis {axis}; got shape {array.shape}")
    return array.mean(axis=axis), array.std(axis=axis)


def band_average(k, values, k_min: float, k_max: float) -> np.ndarray:
    """Unweighted mean of `values` (..., n_bins) over the bins with k_min <= k < k_max (k and bounds in Mpc⁻¹).

    Returns an array of shape values.shape[:-1], e.g. one band-averaged T or r per map.
    """
    k = np.asarray(k, dtype=np.float64)
    array = np.asarray(values, dtype=np.float64)
    if k.ndim != 1 or array.ndim == 0 or array.shape[-1] != k.size:
        raise ValueError(f"values must end with an axis of len(k) = {k.size} bins; got k {k.shape}, "
                         f"values {array.shape}")
    if not k_min < k_max:
        raise ValueError(f"k_min must be below k_max; got [{k_min}, {k_max})")
    in_band = (k >= k_min) & (k < k_max)
    if not in_band.any():
        raise ValueError(f"no k bin lies in [{k_min}, {k_max}) Mpc^-1; bins span {k.min():.3g} to {k.max():.3g}")
    return array[..., in_band].mean(axis=-1)
