"""The linear baseline AstroNet must beat: ridge regression of the log10 parameters on summary statistics of each
21 cm map — its mean and standard deviation (mK) and log10 of its power spectrum (powerbox) in a few k bins, per
redshift channel — fitted on the train split, the ridge strength chosen on the validation split.

It says how much of the parameters the maps' simplest statistics carry at the size of the training set at hand.
"""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from deep21_tf.evaluation.data import physical_batches
from deep21_tf.stats import power_spectrum
from deep21_tf.stats import RidgeFit, fit_ridge

#: Linear k bins of the power-spectrum features, from the fundamental mode to the Nyquist frequency.
POWER_BINS = 8
#: Ridge strengths tried; the one with the lowest validation error is kept.
RIDGE_ALPHAS = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)
DESCRIPTION = (f"ridge regression of the log10 parameters on the mean, std and log10 P(k) in {POWER_BINS} k bins of "
               "each 21 cm map, fitted on the train split, ridge strength chosen on the validation split")


def _validation_error(fit: RidgeFit, features: np.ndarray, targets: np.ndarray, scale: np.ndarray) -> float:
    """Mean squared error of `fit`, each parameter in units of `scale` (defined even for one simulation)."""
    return float(np.mean(((fit.predict(features) - targets) / scale) ** 2))


def map_features(maps_21cm: np.ndarray, box_length: float) -> np.ndarray:
    """(N, C × (2 + POWER_BINS)) summary statistics of 21 cm maps (N, H, W, C) in mK of side `box_length` (Mpc)."""
    columns = []
    for channel in range(maps_21cm.shape[-1]):
        maps = np.asarray(maps_21cm[..., channel], np.float64)
        _, power = power_spectrum(maps, box_length, bins=POWER_BINS)
        columns += [maps.mean(axis=(1, 2))[:, None], maps.std(axis=(1, 2))[:, None],
                    np.log10(np.maximum(power, np.finfo(np.float64).tiny))]
    return np.concatenate(columns, axis=1)


def split_features(builder, split: str, box_length: float, batch_size: int, max_maps=None,
                   progress: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """(features (N, F), true log10 parameters (N, 3)) of every map of `split`, in stored order."""
    features, targets = [], []
    for maps, log10_params in physical_batches(builder, split, "astro", batch_size, max_maps, progress):
        features.append(map_features(maps, box_length))
        targets.append(log10_params)
    return np.concatenate(features), np.concatenate(targets)


def fit_parameter_baseline(builder, box_length: float, batch_size: int, progress: bool = True,
                           alphas: Sequence[float] = RIDGE_ALPHAS) -> RidgeFit:
    """The ridge fit on the train split whose strength (of `alphas`) has the lowest validation error (squared, each
    parameter in units of its train-split spread)."""
    train_x, train_y = split_features(builder, "train", box_length, batch_size, progress=progress)
    valid_x, valid_y = split_features(builder, "validation", box_length, batch_size, progress=progress)
    fits = [fit_ridge(train_x, train_y, alpha) for alpha in alphas]
    scale = np.where(train_y.std(axis=0) > 0, train_y.std(axis=0), 1.0)
    return min(fits, key=lambda fit: _validation_error(fit, valid_x, valid_y, scale))
