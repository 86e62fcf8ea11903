"""Test-time averaging over the D4 group: predict each of the 8 symmetric copies of a map, map back, average."""
from __future__ import annotations

from typing import Callable, Tuple

import numpy as np

from deep21_tf.data import d4


def d4_average(predict: Callable[[np.ndarray], np.ndarray], maps: np.ndarray,
               spatial_output: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and per-element standard deviation (ddof 0) of `predict` over the 8 D4 transforms of `maps`.

    maps: (N, H, W, C). predict: maps → outputs, in the same units the outputs are returned in. With
    `spatial_output` (δ maps (N, H, W, C')), each prediction is inverse-transformed back onto the input map
    before averaging, so the std is a per-pixel uncertainty map; otherwise the outputs (e.g. parameters (N, P))
    are invariant quantities and are averaged as they are.
    """
    predictions = []
    for k in range(d4.D4_SIZE):
        predicted = np.asarray(predict(np.ascontiguousarray(d4.apply(maps, k))), dtype=np.float64)
        predictions.append(d4.apply_inverse(predicted, k) if spatial_output else predicted)
    stacked = np.stack(predictions)
    return stacked.mean(axis=0), stacked.std(axis=0)
