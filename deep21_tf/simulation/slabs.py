"""Cutting 3D boxes into 2D maps: slabs orthogonal to the line of sight (the last array axis)."""
from __future__ import annotations

from typing import Sequence

import numpy as np


def project_slabs(box: np.ndarray, starts: Sequence[int], thickness: int) -> np.ndarray:
    """Average `thickness` cells along the last axis from each start cell.

    box: (N, N, N) field (mK or δ); the last axis is the line of sight. Returns (len(starts), N, N) float32 maps
    in the same units as `box` (an average, so units are kept; the paper summed the 4 cells, a factor 4).
    """
    if box.ndim != 3:
        raise ValueError(f"box must be 3D (x, y, line of sight), got shape {box.shape}")
    if any(s < 0 or s + thickness > box.shape[-1] for s in starts):
        raise ValueError(f"slabs of {thickness} cells starting at {list(starts)} do not fit a line of sight of "
                         f"{box.shape[-1]} cells")
    return np.stack([box[:, :, s:s + thickness].mean(axis=-1, dtype=np.float64) for s in starts]).astype(np.float32)
