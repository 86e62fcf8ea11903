"""The linear baseline the U-Net must beat: a Wiener filter δ̂(k) = W(k)·δTb(k) per redshift channel, fitted on
the train split (`deep21_tf.stats.wiener`), plus the train-split mean δ (the filter's own output has zero mean).
"""
from __future__ import annotations

from typing import List

import numpy as np

from deep21_tf.data.metadata import map_shape
from deep21_tf.evaluation.data import physical_batches
from deep21_tf.stats import WienerFilter, apply_wiener, fit_wiener

TRAIN_SPLIT = "train"


def fit_baselines(builder, box_length: float, batch_size: int, progress: bool = True,
                  instrument=None) -> List[WienerFilter]:
    """One Wiener filter per channel (redshift) of the dataset, fitted on all train maps (one pass per channel);
    with an `instrument`, on the observed train maps (their fixed noise realisations): the optimal linear filter
    for that uv coverage and noise."""
    filters = []
    for channel in range(map_shape(builder)[-1]):
        batches = physical_batches(builder, TRAIN_SPLIT, "unet", batch_size, progress=progress, instrument=instrument)
        filters.append(fit_wiener(((maps[..., channel], delta[..., channel]) for maps, delta in batches),
                                  box_length))
    return filters


def predict_baseline(wiener: WienerFilter, maps_21cm: np.ndarray, box_length: float, delta_mean: float) -> np.ndarray:
    """δ̂ for 21 cm maps (N, H, W) in mK of side `box_length` (Mpc): the filtered map plus `delta_mean`."""
    return apply_wiener(wiener, maps_21cm, box_length) + delta_mean

