"""Thermal noise of an interferometer per uv cell: the radiometer equation, in the maps' units (mK).

Conventions: an n×n map of pixels of solid angle Ω_pix (sr) holds T(x) in mK; its DFT is T̃_k = Σ_x T(x) e^{-2πi k·x/n}
(numpy's fft2). A visibility in uv cell k measures V = C T̃_k (Jy) with C = 2 k_B ν² Ω_pix / c² (Rayleigh–Jeans;
`jy_per_mk`). Each visibility of one polarisation over a bandwidth Δν and a time t carries complex noise of
σ_V = SEFD / sqrt(2 Δν t) per real and imaginary part. A cell measured M_k times in all (both (u, v) and (−u, −v)
count: a real sky has T̃_{−k} = T̃_k*) has a natural-weighted estimate of T̃_k with noise power

    P_k = E|ñ_k|² = 2 σ_V² / (C² M_k) = SEFD² / (C² Δν t_obs m_k)      [mK²],

m_k the baselines per snapshot in cells k and −k together, t_obs the total observing time: the snapshot length
cancels. The per-pixel noise variance is Σ_k P_k / n⁴ (Parseval).
"""
from __future__ import annotations

import contextlib
import io

import numpy as np
from astropy import constants

from deep21_tf.instrument.settings import MIN_BASELINES_PER_SNAPSHOT, SEFD_TABLE

JY_W_M2_HZ = 1e-26  # 1 Jy in W m⁻² Hz⁻¹
K_B = constants.k_B.to_value("J/K")
C_M_S = constants.c.to_value("m/s")


def sefd_jy(nu_mhz: float) -> float:
    """System equivalent flux density (Jy) of one SKA-Low station at `nu_mhz` (tools21cm's SKAO table)."""
    from tools21cm.radio_telescope_sensitivity import get_SEFD

    with contextlib.redirect_stdout(io.StringIO()):
        return float(get_SEFD(nu_mhz, sefd_data=SEFD_TABLE))


def jy_per_mk(nu_mhz: float, pixel_rad: float) -> float:
    """C: the flux (Jy) of a pixel of side `pixel_rad` (rad) at brightness temperature 1 mK, at `nu_mhz`."""
    nu_hz = nu_mhz * 1e6
    return 2 * K_B * nu_hz ** 2 / C_M_S ** 2 * pixel_rad ** 2 * 1e-3 / JY_W_M2_HZ


def sampled_cells(counts: np.ndarray) -> np.ndarray:
    """(n, n) bool: the uv cells the array measures — at least MIN_BASELINES_PER_SNAPSHOT baselines per snapshot in
    the cell and its mirror on average — except the self-conjugate ones (k = −k: the zero spacing, which no
    interferometer measures, and the three Nyquist corners, whose modes the grid holds as real numbers)."""
    pair_counts = counts + mirrored(counts)
    sampled = pair_counts >= 2 * MIN_BASELINES_PER_SNAPSHOT
    n_rows, n_cols = counts.shape
    for row in {0, n_rows // 2} if n_rows % 2 == 0 else {0}:
        for col in {0, n_cols // 2} if n_cols % 2 == 0 else {0}:
            sampled[row, col] = False
    return sampled


def mirrored(cells: np.ndarray) -> np.ndarray:
    """cells[−k] for every k of an (n, n) DFT-ordered array."""
    return np.roll(cells[::-1, ::-1], 1, axis=(0, 1))


def noise_power(counts: np.ndarray, sefd: float, bandwidth_mhz: float, obs_hours: float,
                jy_mk: float) -> np.ndarray:
    """(n, n) P_k in mK² (module docstring) for `counts` baselines per snapshot per cell; 0 where unsampled."""
    sampled = sampled_cells(counts)
    pair_counts = counts + mirrored(counts)
    power = np.zeros(counts.shape, np.float64)
    power[sampled] = sefd ** 2 / (jy_mk ** 2 * bandwidth_mhz * 1e6 * obs_hours * 3600.0 * pair_counts[sampled])
    return power
