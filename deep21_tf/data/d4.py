"""The dihedral group D4: the 8 rigid symmetries of the square, on maps of shape (H, W, C) or (N, H, W, C).

Transform k in 0..7 is ``rot90(flip(x, k // 4), k % 4)``: first an optional left-right flip (of the W axis),
then k % 4 counter-clockwise quarter turns in the (H, W) plane. The same functions take numpy arrays (k an int)
and TensorFlow tensors (k an int or an int32 scalar tensor), and give identical results.
"""
from __future__ import annotations

from typing import Callable, Tuple

import numpy as np
import tensorflow as tf

D4_SIZE = 8


def _check_index(k: int) -> int:
    if not 0 <= int(k) < D4_SIZE:
        raise ValueError(f"D4 transform index {k} is out of range: use 0 <= k < {D4_SIZE}")
    return int(k)


def inverse_index(k: int) -> int:
    """Index of the inverse of transform k (flips are their own inverse; quarter turns reverse)."""
    k = _check_index(k)
    return k if k >= 4 else (4 - k) % 4


def compose_index(a: int, b: int) -> int:
    """Index of 'transform b, then transform a' (F R^r = R^-r F gives the rotation count)."""
    a, b = _check_index(a), _check_index(b)
    flip_a, flip_b = a // 4, b // 4
    turns = (a % 4 + (-1) ** flip_a * (b % 4)) % 4
    return 4 * ((flip_a + flip_b) % 2) + turns


def _index(x, k):
    """k checked (numpy, int) or as an int32 tensor (TensorFlow)."""
    return _check_index(k) if isinstance(x, np.ndarray) else tf.convert_to_tensor(k, dtype=tf.int32)


def _flip(x, flip):
    """Left-right flip (reverse the W axis) when `flip` is true."""
    if isinstance(x, np.ndarray):
        return x[..., ::-1, :] if flip else x
    return tf.cond(tf.cast(flip, tf.bool), lambda: tf.reverse(x, axis=[-2]), lambda: tf.identity(x))


def _rotate(x, turns):
    """`turns` counter-clockwise quarter turns in the (H, W) plane."""
    if isinstance(x, np.ndarray):
        return np.rot90(x, turns % 4, axes=(-3, -2))
    return tf.image.rot90(x, turns % 4)


def apply(x, k):
    """Transform k of the map(s) `x`: flip if k >= 4, then k % 4 quarter turns."""
    k = _index(x, k)
    return _rotate(_flip(x, k // 4), k % 4)


def apply_inverse(x, k):
    """Undo transform k (turn back, then flip back): ``apply_inverse(apply(x, k), k) == x``.

    For test-time averaging: map a prediction made on transform k of a map back onto the map.
    """
    k = _index(x, k)
    return _flip(_rotate(x, -(k % 4)), k // 4)


def all_transforms(x):
    """The 8 transforms of one map (H, W, C), stacked on a new leading axis: (8, H, W, C), index = k."""
    if isinstance(x, np.ndarray):
        return np.stack([apply(x, k) for k in range(D4_SIZE)])
    return tf.stack([apply(x, k) for k in range(D4_SIZE)])


def d4_average(predict: Callable[[np.ndarray], np.ndarray], maps: np.ndarray,
               spatial_output: bool = True) -> Tuple[np.ndarray, np.ndarray]:
    """Mean and per-element standard deviation (ddof 0) of `predict` over the 8 D4 transforms of `maps`.

    maps: (N, H, W, C). predict: maps → outputs, in the same units the outputs are returned in. With
    `spatial_output` (δ maps (N, H, W, C')), each prediction is inverse-transformed back onto the input map
    before averaging, so the std is a per-pixel uncertainty map; otherwise the outputs (e.g. parameters (N, P))
    are invariant quantities and are averaged as they are.
    """
    predictions = []
    for k in range(D4_SIZE):
        predicted = np.asarray(predict(np.ascontiguousarray(apply(maps, k))), dtype=np.float64)
        predictions.append(apply_inverse(predicted, k) if spatial_output else predicted)
    stacked = np.stack(predictions)
    return stacked.mean(axis=0), stacked.std(axis=0)
