"""Normalisation statistics of the train split, stored with the dataset and used by every later stage.

Maps: per channel (redshift, increasing) mean and std over all pixels of all train maps, of the 21 cm
brightness temperature (mK) and of the matter density contrast δ. Parameters: mean and std over the train
simulations of log10 of each parameter (M_turn in M☉, L_X in erg s⁻¹ (M☉/yr)⁻¹, N_γ/b). A dataset without δ maps
(a params_* config) has empty δ statistics; a _wedge twin's 21 cm statistics are those of its wedge-filtered maps.
Standard deviations
are population ones (ddof 0); a zero std (e.g. a single train simulation) is stored as 1, so the value is
only centred. Everything is accumulated in float64, one file at a time.
"""
from __future__ import annotations

import dataclasses
from typing import Iterable, Sequence, Tuple

import numpy as np

from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.simulation.storage import BRIGHTNESS_FIELD, read_maps

#: Normalised quantities and the names of their statistics in `Normalization`.
FIELDS = ("map_21cm", "density", "log10_params")


@dataclasses.dataclass(frozen=True)
class Normalization:
    """Means and stds of the train split (see the module docstring for units and definitions)."""

    redshifts: Tuple[float, ...]
    map_21cm_mean: Tuple[float, ...]
    map_21cm_std: Tuple[float, ...]
    density_mean: Tuple[float, ...]
    density_std: Tuple[float, ...]
    parameter_names: Tuple[str, ...]
    log10_params_mean: Tuple[float, ...]
    log10_params_std: Tuple[float, ...]
    train_sim_ids: Tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-friendly dict (tuples become lists)."""
        return {key: list(value) for key, value in dataclasses.asdict(self).items()}

    @classmethod
    def from_dict(cls, data: dict) -> "Normalization":
        """Inverse of `to_dict`; raises ValueError naming missing or unknown keys."""
        names = {field.name for field in dataclasses.fields(cls)}
        if set(data) != names:
            raise ValueError(f"normalisation statistics need exactly the keys {sorted(names)}; "
                             f"missing {sorted(names - set(data))}, unknown {sorted(set(data) - names)}")
        return cls(**{key: tuple(value) for key, value in data.items()})

    def _mean_std(self, field: str) -> Tuple[np.ndarray, np.ndarray]:
        if field not in FIELDS:
            raise ValueError(f"unknown field {field!r}; use one of {FIELDS}")
        if not getattr(self, field + "_mean"):
            raise ValueError(f"these statistics have no {field} maps: the dataset holds 21 cm maps and parameters "
                             "only (a params_* config)")
        return (np.asarray(getattr(self, field + "_mean"), np.float32),
                np.asarray(getattr(self, field + "_std"), np.float32))

    def normalize(self, field: str, values):
        """(values - mean) / std for `field` in FIELDS; broadcasts over the last axis (numpy or tf)."""
        mean, std = self._mean_std(field)
        return (values - mean) / std

    def denormalize(self, field: str, values):
        """Inverse of `normalize`: back to mK, δ or log10 parameters."""
        mean, std = self._mean_std(field)
        return values * std + mean


class _RunningMoments:
    """Mean and variance per channel over batches of values (Chan et al.'s pairwise update, float64)."""

    def __init__(self, channels: int):
        self.count = 0
        self.mean = np.zeros(channels)
        self.m2 = np.zeros(channels)

    def add(self, values: np.ndarray) -> None:
        """Add `values` of shape (..., channels)."""
        values = values.reshape(-1, values.shape[-1]).astype(np.float64)
        count, mean = len(values), values.mean(axis=0)
        m2 = ((values - mean) ** 2).sum(axis=0)
        total = self.count + count
        delta = mean - self.mean
        self.m2 = self.m2 + m2 + delta ** 2 * self.count * count / total
        self.mean = self.mean + delta * count / total
        self.count = total

    def mean_std(self) -> Tuple[Tuple[float, ...], Tuple[float, ...]]:
        std = np.sqrt(self.m2 / self.count)
        return tuple(self.mean.tolist()), tuple(np.where(std > 0, std, 1.0).tolist())


def compute_normalization(train_files: Iterable[str], redshifts: Sequence[float],
                          train_sim_ids: Sequence[str], with_density: bool = True,
                          field_21cm: str = BRIGHTNESS_FIELD) -> Normalization:
    """Statistics of the simulation files `train_files` (the train split only), channels ordered as `redshifts`.

    With `with_density` False the δ statistics are left empty (and compact files, which hold no δ, can be read);
    `field_21cm` is the files' 21 cm field the dataset packs (`read_maps`).
    """
    map_21cm, density = _RunningMoments(len(redshifts)), _RunningMoments(len(redshifts))
    params = _RunningMoments(len(PARAMETER_NAMES))
    for path in train_files:
        maps_21cm, maps_density, _, attrs = read_maps(path, redshifts, field_21cm)
        map_21cm.add(maps_21cm)
        if with_density:
            density.add(maps_density)
        params.add(np.array([[attrs[name] for name in PARAMETER_NAMES]]))
    if not params.count:
        raise ValueError("no train files: normalisation statistics need at least one train simulation")
    (t_mean, t_std), (p_mean, p_std) = map_21cm.mean_std(), params.mean_std()
    d_mean, d_std = density.mean_std() if with_density else ((), ())
    return Normalization(redshifts=tuple(float(z) for z in redshifts), map_21cm_mean=t_mean, map_21cm_std=t_std,
                         density_mean=d_mean, density_std=d_std, parameter_names=PARAMETER_NAMES,
                         log10_params_mean=p_mean, log10_params_std=p_std, train_sim_ids=tuple(train_sim_ids))
