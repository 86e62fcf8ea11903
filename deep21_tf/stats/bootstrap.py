"""Bootstrap intervals over groups (simulation boxes): the maps of one box are not independent, so a score's
uncertainty comes from resampling whole boxes with replacement, not maps."""
from __future__ import annotations

from typing import Callable, Tuple

import numpy as np

#: Resamples per interval and the central interval reported (68 %: ±1σ for a Gaussian).
BOOTSTRAP_RESAMPLES = 1000
INTERVAL_LEVEL = 0.68


def group_bootstrap(statistic: Callable[[np.ndarray], np.ndarray], groups, resamples: int = BOOTSTRAP_RESAMPLES,
                    level: float = INTERVAL_LEVEL, seed: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """(low, high) of the central `level` interval of `statistic` over resamples of whole groups.

    statistic: maps an index array into the scored items (e.g. maps) to a value or an array of values (e.g. one per
    parameter); each resample draws as many groups as there are, with replacement, and passes the indices of all
    their members (a group drawn twice counts twice). groups: (N,) group label of each item. NaN values of a
    resample (e.g. an undefined correlation) are left out of that value's interval.
    """
    labels = np.asarray(groups)
    if labels.ndim != 1 or labels.size < 1:
        raise ValueError(f"groups must be a non-empty (N,) array of labels; got shape {labels.shape}")
    if not 0 < level < 1 or resamples < 2:
        raise ValueError(f"use 0 < level < 1 and resamples >= 2; got level={level}, resamples={resamples}")
    names, inverse = np.unique(labels, return_inverse=True)
    members = [np.flatnonzero(inverse == g) for g in range(len(names))]
    rng = np.random.default_rng(seed)
    values = np.array([np.asarray(statistic(np.concatenate([members[g] for g in rng.integers(0, len(names),
                                                                                               len(names))])),
                                  np.float64) for _ in range(resamples)])
    tail = 100 * (1 - level) / 2
    with np.errstate(invalid="ignore"):
        low, high = np.nanpercentile(values, [tail, 100 - tail], axis=0)
    return low, high
