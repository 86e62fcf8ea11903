"""Argument checks shared by the model builders: fail at build time with a message that names the bad value."""
from __future__ import annotations

import math
import operator

from deep21_tf.contracts import SIZE_MULTIPLE


def check_input_shape(input_shape) -> tuple[int, int, int]:
    """Return `input_shape` as `(H, W, C)` ints; H and W must be multiples of SIZE_MULTIPLE (the encoder halves
    them three times) and C at least 1."""
    try:
        height, width, channels = (operator.index(size) for size in input_shape)
    except (TypeError, ValueError):
        raise ValueError(f"input_shape must be (height, width, channels) integers, got {input_shape!r}") from None
    if height < SIZE_MULTIPLE or width < SIZE_MULTIPLE or height % SIZE_MULTIPLE or width % SIZE_MULTIPLE:
        raise ValueError(f"input_shape {height}x{width}x{channels}: height and width must be divisible by "
                         f"{SIZE_MULTIPLE} and at least {SIZE_MULTIPLE} (the encoder halves them three times)")
    if channels < 1:
        raise ValueError(f"input_shape {height}x{width}x{channels}: channels must be at least 1")
    return height, width, channels


def check_positive_int(name: str, value) -> int:
    """Return `value` as an int; it must be an integer of at least 1."""
    try:
        value = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer >= 1, got {value!r}") from None
    if value < 1:
        raise ValueError(f"{name} must be an integer >= 1, got {value}")
    return value


def check_rate(name: str, value: float) -> float:
    """Return `value` as a float in [0, 1), e.g. a dropout rate."""
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value}")
    return value


def check_weight_decay(value: float) -> float:
    """Return `value` as a float; it must be finite and non-negative."""
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"weight_decay must be a finite number >= 0, got {value}")
    return value
