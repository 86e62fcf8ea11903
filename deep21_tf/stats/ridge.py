"""Ridge regression (linear least squares with an L2 penalty) on standardised features: the linear baseline for
regressing parameters from summary statistics."""
from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class RidgeFit:
    """y ≈ ((x − feature_mean) / feature_std) @ weights + intercept, fitted with penalty `alpha`."""

    feature_mean: np.ndarray  # (F,)
    feature_std: np.ndarray  # (F,)
    weights: np.ndarray  # (F, T)
    intercept: np.ndarray  # (T,)
    alpha: float

    def predict(self, features: np.ndarray) -> np.ndarray:
        """Targets (N, T) for features (N, F), in the units of the fitted targets."""
        return ((np.asarray(features, np.float64) - self.feature_mean) / self.feature_std) @ self.weights \
            + self.intercept


def fit_ridge(features: np.ndarray, targets: np.ndarray, alpha: float) -> RidgeFit:
    """Minimise |y − ŷ|² + alpha |w|² over the standardised features (N, F) for targets (N, T); alpha ≥ 0.

    Features that do not vary get weight 0. ValueError when the shapes disagree or alpha < 0.
    """
    x, y = np.asarray(features, np.float64), np.asarray(targets, np.float64)
    if x.ndim != 2 or y.ndim != 2 or len(x) != len(y) or len(x) < 2:
        raise ValueError(f"features (N, F) and targets (N, T) with the same N >= 2 expected; got {x.shape} and "
                         f"{y.shape}")
    if alpha < 0:
        raise ValueError(f"alpha={alpha} is not allowed: use alpha >= 0")
    mean, std = x.mean(axis=0), x.std(axis=0)
    std = np.where(std > 0, std, 1.0)
    z = (x - mean) / std
    intercept = y.mean(axis=0)
    weights = np.linalg.lstsq(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - intercept), rcond=None)[0]
    return RidgeFit(mean, std, weights, intercept, float(alpha))
