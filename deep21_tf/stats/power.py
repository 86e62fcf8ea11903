"""Power spectra of 2D maps (powerbox), the transfer function T(k) and the cross-correlation coefficient r(k).

Conventions: a map of n×n pixels covers a square of side L (Mpc), pixel size Δx = L/n. Fields are taken as
contrasts as given (δ, or δTb in mK); no mean is subtracted, but the k = 0 mode never enters a bin, so a constant
offset changes nothing. P(k) follows powerbox's cosmological convention, P(k) = |Δx² Σ_x δ(x) e^{-ik·x}|² / L²,
so that the map variance is ∫ d²k/(2π)² P(k): P is in Mpc² times the field's units squared.
"""
from __future__ import annotations

import warnings
from typing import Tuple, Union

import numpy as np
import powerbox

from deep21_tf.stats._maps import as_map_stack, check_box_length, check_same_shape, fundamental_mode, shell_edges

Bins = Union[None, int, np.ndarray]


def k_bin_edges(n_pixels: int, box_length: float, bins: Bins = None) -> np.ndarray:
    """Edges (Mpc⁻¹) of the |k| bins for n×n maps of side `box_length` (Mpc).

    None: n // 2 bins of width k_f = 2π/L centred on k_f, 2k_f, …, k_Nyq = π/Δx, i.e. edges k_f/2 … k_Nyq + k_f/2.
    int: that many linear bins over the same range. Array: the edges themselves (strictly increasing, in Mpc⁻¹).
    Modes beyond the last edge (the corners of the Fourier grid, |k| > k_Nyq) enter no bin.
    """
    box_length = check_box_length(box_length)
    if bins is None:
        return shell_edges(n_pixels // 2, box_length)
    if np.ndim(bins) == 0:
        if not isinstance(bins, (int, np.integer)) or bins < 1:
            raise ValueError(f"bins must be a positive integer or an array of edges; got {bins}")
        k_f = fundamental_mode(box_length)
        return np.linspace(0.5 * k_f, (n_pixels // 2 + 0.5) * k_f, int(bins) + 1)
    edges = np.asarray(bins, dtype=np.float64)
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0) or edges[0] < 0:
        raise ValueError(f"bin edges must be a 1D, strictly increasing, non-negative array of at least 2 values; "
                         f"got {bins}")
    return edges


def power_spectrum(field, box_length: float, other=None, bins: Bins = None) -> Tuple[np.ndarray, np.ndarray]:
    """Isotropic 2D power spectrum of a map, or of each map of a stack; cross power with `other` when given.

    field, other: (H, W) or (N, H, W) square maps of side `box_length` (Mpc), same shape.
    bins: see `k_bin_edges`; bins holding no mode are dropped (the same for every map).
    Returns k (n_bins,), the mean |k| (Mpc⁻¹) of the modes in each bin, and P (n_bins,) or (N, n_bins)
    in Mpc² × [field units]².
    """
    maps, single = as_map_stack(field, "field")
    box_length = check_box_length(box_length)
    partners = maps
    if other is not None:
        partners, _ = as_map_stack(other, "other")
        check_same_shape(maps, partners, "field", "other")
    edges = k_bin_edges(maps.shape[-1], box_length, bins)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="One or more radial bins had no cells")
        spectra = [powerbox.get_power(a, box_length, deltax2=None if other is None else b, bins=edges,
                                      ignore_zero_mode=True, nthreads=1)
                   for a, b in zip(maps, partners)]
    filled = spectra[0].nsamples > 0
    k = spectra[0].bin_avg[filled]
    power = np.stack([spectrum.power[filled] for spectrum in spectra])
    return k, power[0] if single else power


def transfer_function(pred, true, box_length: float, bins: Bins = None) -> Tuple[np.ndarray, np.ndarray]:
    """T(k) = sqrt(P_pred / P_true) per map (paper Eq. 4.3): k (Mpc⁻¹) and T (dimensionless), shaped as P."""
    check_same_shape(pred, true, "pred", "true")
    k, p_pred = power_spectrum(pred, box_length, bins=bins)
    _, p_true = power_spectrum(true, box_length, bins=bins)
    return k, np.sqrt(p_pred / p_true)


def cross_correlation(pred, true, box_length: float, bins: Bins = None) -> Tuple[np.ndarray, np.ndarray]:
    """r(k) = P_cross / sqrt(P_pred P_true) per map (paper Eq. 4.4): k (Mpc⁻¹) and r in [-1, 1], shaped as P."""
    check_same_shape(pred, true, "pred", "true")
    k, p_cross = power_spectrum(pred, box_length, other=true, bins=bins)
    _, p_pred = power_spectrum(pred, box_length, bins=bins)
    _, p_true = power_spectrum(true, box_length, bins=bins)
    return k, p_cross / np.sqrt(p_pred * p_true)
