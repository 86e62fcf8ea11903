"""The foreground wedge: the Fourier modes of a redshift-space 21 cm box that spectrally smooth foregrounds,
spread by the interferometer's chromatic response, leave unusable — removed before the box is cut into slabs.

A mode (k⊥, k∥) (k∥ along the line of sight, the box's last axis) is removed when k∥ < m k⊥ + b, with
m = slope × m_h(z) and the horizon slope m_h(z) = D_C(z) H(z) / (c (1+z)) (the delay of a source at the
horizon: sin θ = 1; slope = sin θ_FoV for the primary-beam wedge), b a buffer in Mpc⁻¹. Training cosmology
(Planck18): m_h(10) = 4.03, m_h(15) = 5.28, m_h(20) = 6.34.
"""
from __future__ import annotations

import numpy as np

from deep21_tf.cosmology import C_KM_S, comoving_distance_mpc, hubble_km_s_mpc


def horizon_slope(z: float) -> float:
    """m_h(z) = D_C(z) H(z) / (c (1+z)), dimensionless."""
    return comoving_distance_mpc(z) * hubble_km_s_mpc(z) / (C_KM_S * (1.0 + z))


def kept_modes(shape, box_len: float, slope: float, buffer: float) -> np.ndarray:
    """Bool mask over `np.fft.rfftn` of a box of `shape` (x, y, line of sight) and side `box_len` (Mpc): True
    where k∥ >= slope k⊥ + buffer (kept), with `slope` the absolute wedge slope m and `buffer` b in Mpc⁻¹."""
    nx, ny, nz = shape
    spacing = box_len / np.asarray(shape, np.float64)
    kx = 2 * np.pi * np.fft.fftfreq(nx, spacing[0])
    ky = 2 * np.pi * np.fft.fftfreq(ny, spacing[1])
    k_par = 2 * np.pi * np.abs(np.fft.rfftfreq(nz, spacing[2]))
    k_perp = np.hypot(kx[:, None], ky[None, :])
    return k_par[None, None, :] >= slope * k_perp[:, :, None] + buffer


def remove_wedge(box: np.ndarray, box_len: float, slope: float, buffer: float) -> np.ndarray:
    """`box` (x, y, line of sight; mK) without the modes inside the wedge k∥ < slope k⊥ + buffer (float32)."""
    if box.ndim != 3:
        raise ValueError(f"box must be 3D (x, y, line of sight), got shape {box.shape}")
    spectrum = np.fft.rfftn(np.asarray(box, np.float64))
    spectrum[~kept_modes(box.shape, box_len, slope, buffer)] = 0.0
    return np.fft.irfftn(spectrum, s=box.shape).astype(np.float32)
