"""The baselines AstroNet must beat: regressions of the log10 parameters on summary statistics of each 21 cm map —
its mean and standard deviation (mK) and log10 of its power spectrum (powerbox) in a few k bins, per redshift
channel — fitted on the evaluated model's training boxes (the train split, or the subset a --train_fraction
model saw), their hyperparameters chosen on the validation split. Two of them: ridge
regression (linear) and kernel ridge regression with an RBF kernel (nonlinear; a Gaussian-process mean).

They say how much of the parameters the maps' simplest statistics carry at the size of the training set at hand:
a network is worth its cost only where it beats the nonlinear one.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from deep21_tf.evaluation.data import physical_batches
from deep21_tf.stats import KernelRidgeFit, RidgeFit, fit_kernel_ridge, fit_ridge, power_spectrum

#: Linear k bins of the power-spectrum features, from the fundamental mode to the Nyquist frequency.
POWER_BINS = 8
#: Ridge strengths tried; the one with the lowest validation error is kept.
RIDGE_ALPHAS = (1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5)
#: Kernel ridge: RBF length scales (units of √F on standardised features) and penalties tried on validation.
KERNEL_LENGTH_SCALES = (0.1, 0.2, 0.4, 0.8, 1.6)
KERNEL_ALPHAS = (1e-3, 1e-2, 1e-1, 1.0)
#: At most this many training maps enter the kernel (evenly spaced in stored order): its cost grows as N³.
KERNEL_MAX_TRAIN_MAPS = 6000
FEATURES = f"the mean, std and log10 P(k) in {POWER_BINS} k bins of each 21 cm map (per redshift channel)"
DESCRIPTION = (f"ridge regression of the log10 parameters on {FEATURES}, fitted on the network's training boxes, "
               "ridge strength chosen on the validation split")
KERNEL_DESCRIPTION = (f"kernel ridge regression (RBF kernel) of the log10 parameters on {FEATURES}, fitted on the "
                      "network's training boxes, length scale and penalty chosen on the validation split")
#: Added to a description when the maps' means are left out (a network that removes them: --remove_map_mean).
WITHOUT_MEAN = "; without the maps' means, which the network does not see"


def _validation_error(fit, features: np.ndarray, targets: np.ndarray, scale: np.ndarray) -> float:
    """Mean squared error of `fit`, each parameter in units of `scale` (defined even for one simulation)."""
    return float(np.mean(((fit.predict(features) - targets) / scale) ** 2))


def map_features(maps_21cm: np.ndarray, box_length: float, with_mean: bool = True) -> np.ndarray:
    """(N, C × (2 + POWER_BINS)) summary statistics of 21 cm maps (N, H, W, C) in mK of side `box_length` (Mpc);
    without each map's mean (N, C × (1 + POWER_BINS)) when `with_mean` is False: then a constant added to a map
    changes none of them (its power spectrum's bins start at the fundamental mode)."""
    columns = []
    for channel in range(maps_21cm.shape[-1]):
        maps = np.asarray(maps_21cm[..., channel], np.float64)
        _, power = power_spectrum(maps, box_length, bins=POWER_BINS)
        columns += [maps.mean(axis=(1, 2))[:, None]] if with_mean else []
        columns += [maps.std(axis=(1, 2))[:, None], np.log10(np.maximum(power, np.finfo(np.float64).tiny))]
    return np.concatenate(columns, axis=1)


def split_features(builder, split: str, box_length: float, batch_size: int, max_maps=None,
                   progress: bool = True, instrument=None, sim_ids=None,
                   with_mean: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """(features (N, F), true log10 parameters (N, 3)) of every map of `split` (of its simulations `sim_ids` when
    given), in stored order."""
    features, targets = [], []
    for maps, log10_params in physical_batches(builder, split, "astro", batch_size, max_maps, progress, instrument,
                                               sim_ids):
        features.append(map_features(maps, box_length, with_mean))
        targets.append(log10_params)
    return np.concatenate(features), np.concatenate(targets)


def fit_parameter_baselines(builder, box_length: float, batch_size: int, progress: bool = True,
                            instrument=None, train_sim_ids=None,
                            with_mean: bool = True) -> Tuple[RidgeFit, KernelRidgeFit]:
    """(ridge fit, kernel ridge fit) on the train split (its simulations `train_sim_ids` when given: the boxes the
    evaluated network trained on), each with the hyperparameters of lowest validation error (squared, each parameter
    in units of its training spread; defined even for one validation simulation); with an `instrument`, on the
    observed maps; on features without the maps' means when `with_mean` is False (`map_features`)."""
    train_x, train_y = split_features(builder, "train", box_length, batch_size, progress=progress,
                                      instrument=instrument, sim_ids=train_sim_ids, with_mean=with_mean)
    valid_x, valid_y = split_features(builder, "validation", box_length, batch_size, progress=progress,
                                      instrument=instrument, with_mean=with_mean)
    scale = np.where(train_y.std(axis=0) > 0, train_y.std(axis=0), 1.0)
    ridge = [fit_ridge(train_x, train_y, alpha) for alpha in RIDGE_ALPHAS]
    kept = np.unique(np.linspace(0, len(train_x) - 1, min(len(train_x), KERNEL_MAX_TRAIN_MAPS)).astype(int))
    kernel = [fit_kernel_ridge(train_x[kept], train_y[kept], alpha, length) for alpha in KERNEL_ALPHAS
              for length in KERNEL_LENGTH_SCALES]
    return tuple(min(fits, key=lambda fit: _validation_error(fit, valid_x, valid_y, scale)) for fits in (ridge, kernel))
