"""Input checks and the Fourier grid shared by the statistics: map stacks, box lengths, |k| shells."""
from __future__ import annotations

from typing import Tuple

import numpy as np


def as_map_stack(maps, name: str) -> Tuple[np.ndarray, bool]:
    """`maps` as a float64 stack (N, n, n) of square maps, and whether a single (n, n) map was given."""
    array = np.asarray(maps, dtype=np.float64)
    if array.ndim not in (2, 3):
        raise ValueError(f"{name} must be one map (H, W) or a stack of maps (N, H, W); got shape {array.shape}")
    single = array.ndim == 2
    stack = array[np.newaxis] if single else array
    if stack.shape[0] == 0 or stack.shape[-1] != stack.shape[-2] or stack.shape[-1] < 2:
        raise ValueError(f"{name} must hold at least one square map of at least 2x2 pixels; got shape {array.shape}")
    if not np.all(np.isfinite(stack)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return stack, single


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise a ValueError unless `a` and `b` have the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(f"{name_a} and {name_b} must have the same shape; got {np.shape(a)} and {np.shape(b)}")


def check_box_length(box_length) -> float:
    """`box_length` (Mpc, the physical side of a map) as a positive float."""
    value = float(box_length)
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"box_length must be a positive length in Mpc; got {box_length}")
    return value


def k_magnitude(n_pixels: int, box_length: float) -> np.ndarray:
    """|k| (Mpc⁻¹) on the (n, n) grid of np.fft.fft2 for maps of side `box_length` (Mpc)."""
    k = 2 * np.pi * np.fft.fftfreq(n_pixels, d=box_length / n_pixels)
    return np.hypot(k[:, np.newaxis], k[np.newaxis, :])


def fundamental_mode(box_length: float) -> float:
    """k_f = 2π/L (Mpc⁻¹) for a map of side `box_length` (Mpc)."""
    return 2 * np.pi / box_length


def shell_edges(n_shells: int, box_length: float) -> np.ndarray:
    """Edges (Mpc⁻¹) of `n_shells` |k| shells of width k_f centred on k_f, 2k_f, …: (i + ½) k_f for i = 0…n_shells.

    The first edge k_f/2 lies between k = 0 and the fundamental mode, so the k = 0 mode never enters a shell.
    """
    return (np.arange(n_shells + 1) + 0.5) * fundamental_mode(box_length)
