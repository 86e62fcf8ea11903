"""Kernel ridge regression with a Gaussian (RBF) kernel on standardised features: the nonlinear
summary-statistics baseline for regressing parameters (a Gaussian-process posterior mean with fixed noise)."""
from __future__ import annotations

import dataclasses

import numpy as np
import scipy.linalg


def rbf_kernel(a: np.ndarray, b: np.ndarray, length_scale: float) -> np.ndarray:
    """exp(−|a_i − b_j|² / (2 ℓ² F)) for rows of a (N, F) and b (M, F): ℓ in units of the typical distance √F
    between standardised feature vectors."""
    squared = (np.sum(a ** 2, axis=1)[:, None] + np.sum(b ** 2, axis=1)[None, :] - 2 * a @ b.T)
    return np.exp(-np.maximum(squared, 0.0) / (2 * length_scale ** 2 * a.shape[1]))


@dataclasses.dataclass(frozen=True)
class KernelRidgeFit:
    """y ≈ k(z, Z_train) @ dual + intercept with z = (x − feature_mean) / feature_std."""

    feature_mean: np.ndarray  # (F,)
    feature_std: np.ndarray  # (F,)
    train_points: np.ndarray  # (N, F), standardised
    dual: np.ndarray  # (N, T)
    intercept: np.ndarray  # (T,)
    alpha: float
    length_scale: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Targets (M, T) for features (M, F), in the units of the fitted targets."""
        z = (np.asarray(features, np.float64) - self.feature_mean) / self.feature_std
        return rbf_kernel(z, self.train_points, self.length_scale) @ self.dual + self.intercept


def fit_kernel_ridge(features: np.ndarray, targets: np.ndarray, alpha: float, length_scale: float) -> KernelRidgeFit:
    """Minimise |y − K d|² + alpha dᵀ K d (dual form: (K + alpha I) d = y − mean y) for features (N, F) and
    targets (N, T); alpha > 0, length_scale > 0 (see `rbf_kernel`). Features that do not vary are ignored."""
    x, y = np.asarray(features, np.float64), np.asarray(targets, np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ValueError(f"features (N, F) and targets (N, T) with the same N >= 2 expected; got {x.shape} and "
                         f"{y.shape}")
    if not (alpha > 0 and length_scale > 0):
        raise ValueError(f"alpha={alpha}, length_scale={length_scale} are not allowed: use values > 0")
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 0, std, np.inf)  # a constant feature contributes 0 to every distance
    z = (x - mean) / std
    intercept = y.mean(axis=0)
    kernel = rbf_kernel(z, z, length_scale)
    dual = scipy.linalg.solve(kernel + alpha * np.eye(len(z)), y - intercept, assume_a="pos")
    return KernelRidgeFit(mean, std, z, dual, intercept, float(alpha), float(length_scale))
