"""Linear Wiener-filter baseline: δ̂ = IFFT(W(|k|) FFT(δTb − mean)), W fitted from training pairs.

W(k) = <P_cross(δTb, δ)> / <P(δTb)> in |k| shells of width k_f = 2π/L covering the whole 2D Fourier grid (up to
its corners), summed over every mode of every training map. The fit streams over batches, so a training set never
has to fit in memory. The k = 0 mode enters no shell, so per-map means play no part in the fit, and the prediction
has zero mean.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Tuple

import numpy as np

from deep21_tf.stats._maps import as_map_stack, check_box_length, check_same_shape, k_magnitude, shell_edges


@dataclasses.dataclass(frozen=True)
class WienerFilter:
    """W(|k|) as a step function: `values[i]` on bin_edges[i] <= |k| < bin_edges[i + 1] (edges in Mpc⁻¹).

    `values` are in [δ units]/[δTb units] (mK⁻¹ for δTb in mK).
    """

    bin_edges: np.ndarray
    values: np.ndarray

    def __post_init__(self):
        edges = np.asarray(self.bin_edges, dtype=np.float64)
        values = np.asarray(self.values, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
            raise ValueError(f"bin_edges must be 1D and strictly increasing with at least 2 values; got {edges}")
        if values.shape != (edges.size - 1,):
            raise ValueError(f"values must have one entry per bin ({edges.size - 1}); got shape {values.shape}")
        object.__setattr__(self, "bin_edges", edges)
        object.__setattr__(self, "values", values)

    def save(self, path: str) -> None:
        """Write the filter to an .npz file (`bin_edges`, `values`)."""
        np.savez(path, bin_edges=self.bin_edges, values=self.values)

    @classmethod
    def load(cls, path: str) -> "WienerFilter":
        """Read a filter written by `save`."""
        with np.load(path) as data:
            return cls(bin_edges=data["bin_edges"], values=data["values"])


def fit_wiener(pairs: Iterable[Tuple[np.ndarray, np.ndarray]], box_length: float) -> WienerFilter:
    """Fit W(k) from an iterable of batches (maps_21cm, delta), each (H, W) or (N, H, W), all maps n×n of side
    `box_length` (Mpc). Shells with no mode or no 21 cm power get W = 0.
    """
    box_length = check_box_length(box_length)
    n_pixels = cross = auto = edges = shell = None
    for maps_21cm, delta in pairs:
        x, _ = as_map_stack(maps_21cm, "maps_21cm")
        y, _ = as_map_stack(delta, "delta")
        check_same_shape(x, y, "maps_21cm", "delta")
        if n_pixels is None:
            n_pixels = x.shape[-1]
            edges = shell_edges(int(np.floor(np.sqrt(2) * (n_pixels // 2) + 0.5)), box_length)  # up to the corner
            shell = np.digitize(k_magnitude(n_pixels, box_length), edges).ravel()
            cross, auto = np.zeros(edges.size + 1), np.zeros(edges.size + 1)
        elif x.shape[-1] != n_pixels:
            raise ValueError(f"all maps must be {n_pixels}x{n_pixels} pixels; got a batch of {x.shape[-2:]}")
        fx, fy = np.fft.fft2(x), np.fft.fft2(y)
        cross += np.bincount(shell, weights=np.real(fx * np.conj(fy)).sum(axis=0).ravel(), minlength=edges.size + 1)
        auto += np.bincount(shell, weights=(np.abs(fx) ** 2).sum(axis=0).ravel(), minlength=edges.size + 1)
    if n_pixels is None:
        raise ValueError("no training pairs were given")
    cross, auto = cross[1:-1], auto[1:-1]
    values = np.divide(cross, auto, out=np.zeros_like(cross), where=auto > 0)
    return WienerFilter(bin_edges=edges, values=values)


def apply_wiener(wiener: WienerFilter, maps_21cm, box_length: float) -> np.ndarray:
    """δ̂ = IFFT(W(|k|) FFT(δTb − mean)) for (H, W) or (N, H, W) maps of side `box_length` (Mpc); same shape out.

    Modes below the first edge (k = 0) get W = 0; modes beyond the last edge take the last bin's value.
    """
    maps, single = as_map_stack(maps_21cm, "maps_21cm")
    k = k_magnitude(maps.shape[-1], check_box_length(box_length))
    index = np.clip(np.digitize(k, wiener.bin_edges) - 1, 0, wiener.values.size - 1)
    gain = np.where(k < wiener.bin_edges[0], 0.0, wiener.values[index])
    predicted = np.real(np.fft.ifft2(gain * np.fft.fft2(maps)))
    return predicted[0] if single else predicted
