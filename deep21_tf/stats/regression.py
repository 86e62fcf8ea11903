"""Scores of parameter predictions: the coefficient of determination R² and the squared Pearson correlation."""
from __future__ import annotations

from typing import Tuple

import numpy as np

from deep21_tf.stats._maps import check_same_shape


def _columns(true, pred) -> Tuple[np.ndarray, np.ndarray]:
    """true and pred as float64 (N, n_params) arrays; ValueError unless they are (N,) or (N, n_params), N >= 2."""
    check_same_shape(true, pred, "true", "pred")
    y, y_hat = (np.asarray(a, dtype=np.float64) for a in (true, pred))
    if y.ndim == 1:
        y, y_hat = y[:, np.newaxis], y_hat[:, np.newaxis]
    if y.ndim != 2 or y.shape[0] < 2:
        raise ValueError(f"true and pred must be (N,) or (N, n_params) with N >= 2; got {np.shape(true)}")
    return y, y_hat


def r2_score(true, pred) -> Tuple[np.ndarray, float]:
    """Coefficient of determination R² = 1 − SS_res/SS_tot, per parameter (column) and overall.

    true, pred: (N,) for one parameter or (N, n_params), in any consistent units (e.g. log10 of the parameters).
    The overall R² pools all parameters after standardising each column by the std of its true values, which
    equals the mean of the per-parameter R² and does not depend on each parameter's units.
    Returns (R² per parameter (n_params,), overall R²).
    """
    y, y_hat = _columns(true, pred)
    ss_tot = np.sum((y - y.mean(axis=0)) ** 2, axis=0)
    if np.any(ss_tot == 0):
        raise ValueError(f"true values of parameter(s) {np.flatnonzero(ss_tot == 0).tolist()} are constant; "
                         "R² is undefined")
    per_parameter = 1.0 - np.sum((y - y_hat) ** 2, axis=0) / ss_tot
    return per_parameter, float(per_parameter.mean())


def pearson_r2(true, pred) -> np.ndarray:
    """Squared Pearson correlation of predicted vs true values, per parameter (column): the paper's "linear
    correlation coefficient R²". NaN for a parameter whose predictions (or true values) do not vary: undefined.

    true, pred: (N,) or (N, n_params) with N >= 2. Unlike `r2_score` it ignores offsets and scale errors: a
    prediction 2 × true + 1 scores 1.
    """
    y, y_hat = _columns(true, pred)
    dy, dy_hat = y - y.mean(axis=0), y_hat - y_hat.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sum(dy * dy_hat, axis=0) / np.sqrt(np.sum(dy ** 2, axis=0) * np.sum(dy_hat ** 2, axis=0))
    constant = (np.ptp(y, axis=0) == 0) | (np.ptp(y_hat, axis=0) == 0)
    return np.where(np.isfinite(r) & ~constant, r ** 2, np.nan)
