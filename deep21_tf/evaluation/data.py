"""Batches of a prepared dataset split in physical units: 21 cm maps in mK with δ maps or log10 parameters."""
from __future__ import annotations

import os
from typing import Iterator, Optional, Sequence, Tuple

import numpy as np

from deep21_tf.contracts import MODEL_TARGET_FIELD, plain_twin, wedge_removed
from deep21_tf.data import load_normalization, make_dataset, open_builder
from deep21_tf.data.tfdata import split_maps
from deep21_tf.util.progress import progress_bar


def split_size(builder, split: str) -> int:
    """Number of maps in `split` (a name or a TFDS slice such as "test[:10]"); ValueError naming the splits."""
    try:
        return builder.info.splits[split].num_examples
    except (KeyError, ValueError):
        raise ValueError(f"--split={split} is not a split of {builder.info.full_name}: use one of "
                         f"{sorted(builder.info.splits)} or a slice such as test[:10]") from None


def physical_batches(builder, split: str, target: str, batch_size: int, max_maps: Optional[int] = None,
                     progress: bool = True, instrument=None, sim_ids: Optional[Sequence[str]] = None
                     ) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
    """(maps_21cm [mK] (B, H, W, C), δ (B, H, W, C) or log10 parameters (B, 3)) in the split's stored order.

    Undoes the pipeline's normalisation with the dataset's own statistics; stops after `max_maps` maps; only the
    maps of the simulations `sim_ids` when given. With an `instrument` (`deep21_tf.instrument.model.Instrument`)
    the 21 cm maps are observed through it, with the split's fixed noise realisations.
    """
    norm = load_normalization(builder)
    if instrument is not None:
        norm = instrument.normalization(norm)
    total = split_size(builder, split) if sim_ids is None else split_maps(builder, split, sim_ids)
    total = total if max_maps is None else min(total, max_maps)
    dataset = make_dataset(builder, None, split, target=target, augment="none", batch_size=batch_size,
                           instrument=instrument, sim_ids=sim_ids)
    with progress_bar(total, f"{split} maps", enabled=progress) as bar:
        for maps, targets in dataset.as_numpy_iterator():
            maps, targets = maps[:total - bar.n], targets[:total - bar.n]
            yield norm.denormalize("map_21cm", maps), norm.denormalize(MODEL_TARGET_FIELD[target], targets)
            bar.update(len(maps))
            if bar.n >= total:
                return


def map_sim_ids(builder, split: str, max_maps: Optional[int] = None) -> np.ndarray:
    """(N,) str: the simulation of each map of `split`, in the order `physical_batches` yields the maps."""
    import tensorflow_datasets as tfds

    ids = builder.as_dataset(split=split, shuffle_files=False,
                             decoders=tfds.decode.PartialDecoding({"sim_id": True}))
    if max_maps is not None:
        ids = ids.take(max_maps)
    return np.array([example["sim_id"].decode() for example in tfds.as_numpy(ids)])


def first_simulated_map(builder, data_dir, dataset: str, split: str, first_delta: np.ndarray,
                        instrument=None) -> Optional[np.ndarray]:
    """The split's first 21 cm map [mK] (H, W, C) as the simulation made it, for Fig. 3 of a model that sees its maps
    otherwise: observed through `instrument`, or with the foreground wedge removed (`dataset` a _wedge twin, whose
    plain twin is then read from the TFDS dir `data_dir`). None when the model sees the simulated maps, or when the
    plain twin is not built there or holds another suite (its first δ map is not `first_delta`)."""
    if wedge_removed(dataset):
        if not isinstance(data_dir, (str, os.PathLike)):
            return None
        try:
            builder = open_builder(data_dir, plain_twin(dataset))
        except FileNotFoundError:
            return None
    elif instrument is None:
        return None
    maps, delta = next(physical_batches(builder, split, "unet", 1, 1, False))
    return maps[0] if np.allclose(delta[0], first_delta, rtol=1e-4, atol=1e-4) else None
