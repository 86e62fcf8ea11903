"""Train/validation/test assignment by simulation: stable, exact 70/15/15, independent of file order.

Rule: sort the suite's sim_ids by ``int(sha256(sim_id).hexdigest(), 16)`` (ties, impossible in practice, by
sim_id); with n simulations, n_val = max(1, round(0.15 n)), n_test = max(1, round(0.15 n)),
n_train = n - n_val - n_test. The first n_train sorted ids are train, the next n_val validation, the rest test.
A simulation therefore lands in exactly one split, and adding simulations to a suite moves none of its
existing ones between validation and test unless the counts change.
"""
from __future__ import annotations

import collections
import hashlib
import math
from typing import Dict, Iterable, Sequence, Tuple

SPLITS = ("train", "validation", "test")
HELD_OUT_FRACTION = 0.15
MIN_SIMULATIONS = 3


class SplitError(ValueError):
    """The simulations cannot be split (too few, duplicated, or a simulation in two splits)."""


def stable_hash(sim_id: str) -> int:
    """The integer value of the SHA-256 digest of `sim_id` (same on every machine and Python run)."""
    return int(hashlib.sha256(sim_id.encode("utf-8")).hexdigest(), 16)


def split_counts(num_sims: int) -> Dict[str, int]:
    """{split: number of simulations} for a suite of `num_sims` simulations (needs >= 3)."""
    if num_sims < MIN_SIMULATIONS:
        raise SplitError(f"a suite of {num_sims} simulation(s) cannot be split into train/validation/test: "
                         f"make at least {MIN_SIMULATIONS} (deep21-simulate --num_sims)")
    held_out = max(1, round(HELD_OUT_FRACTION * num_sims))
    return {"train": num_sims - 2 * held_out, "validation": held_out, "test": held_out}


def assign_splits(sim_ids: Iterable[str]) -> Dict[str, Tuple[str, ...]]:
    """{split: sorted sim_ids} following the module's rule; raises SplitError on duplicates or < 3 ids."""
    ids = list(sim_ids)
    duplicated = sorted(sim_id for sim_id, count in collections.Counter(ids).items() if count > 1)
    if duplicated:
        raise SplitError(f"sim_ids {duplicated} appear more than once")
    counts = split_counts(len(ids))
    ordered = sorted(ids, key=lambda sim_id: (stable_hash(sim_id), sim_id))
    bounds = {"train": (0, counts["train"]),
              "validation": (counts["train"], counts["train"] + counts["validation"]),
              "test": (counts["train"] + counts["validation"], len(ids))}
    assignment = {split: tuple(sorted(ordered[low:high])) for split, (low, high) in bounds.items()}
    check_disjoint(assignment, ids)
    return assignment


def check_disjoint(assignment: Dict[str, Iterable[str]], sim_ids: Iterable[str]) -> None:
    """Raise SplitError unless every id of `sim_ids` is in exactly one split and no split holds anything else."""
    seen: Dict[str, str] = {}
    for split, ids in assignment.items():
        for sim_id in ids:
            if sim_id in seen:
                raise SplitError(f"simulation {sim_id} is in both the {seen[sim_id]} and the {split} split")
            seen[sim_id] = split
    expected = set(sim_ids)
    if set(seen) != expected:
        raise SplitError(f"splits do not cover the suite: missing {sorted(expected - set(seen))}, "
                         f"unknown {sorted(set(seen) - expected)}")


def training_subset(train_ids: Sequence[str], fraction: float) -> Tuple[str, ...]:
    """The first ceil(fraction × n) of the train split's simulations in the split's hash order (at least one).

    Subsets are nested (the ¼ subset lies inside the ½ subset) and drawn independently of the parameters, so a
    learning curve changes only how many boxes the network sees, never the validation or test boxes.
    """
    if not 0 < fraction <= 1:
        raise ValueError(f"--train_fraction={fraction} is not allowed: use 0 < train_fraction <= 1")
    ordered = sorted(train_ids, key=lambda sim_id: (stable_hash(sim_id), sim_id))
    return tuple(sorted(ordered[:max(1, math.ceil(fraction * len(ordered)))]))
