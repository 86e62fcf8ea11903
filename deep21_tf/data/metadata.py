"""The hi21cm dataset's own metadata (`builder.info.metadata`, stored in the dataset's metadata.json): written by
the builder, read by the input pipeline, training and evaluation — this module owns its keys.

    normalization  the train split's statistics (`Normalization.to_dict()`)
    splits         {split: [sim_id, ...]}: which simulations each split holds
    map_shape      [H, W, C] of the maps
    suite          the suite's settings (`SuiteConfig.to_json()`: box_len in Mpc, hii_dim, redshifts, fast_physics, …;
                   datasets built before fast_physics existed lack it: False)
"""
from __future__ import annotations

from typing import Dict, List, Sequence, Tuple

from deep21_tf.data.normalization import Normalization

NORMALIZATION_KEY, SPLITS_KEY, MAP_SHAPE_KEY, SUITE_KEY = "normalization", "splits", "map_shape", "suite"


def dataset_metadata(stats: Normalization, assignment: Dict[str, Sequence[str]], map_shape: Sequence[int],
                     suite_settings: dict) -> dict:
    """The metadata the builder stores with a prepared dataset."""
    return {NORMALIZATION_KEY: stats.to_dict(), SPLITS_KEY: {split: list(ids) for split, ids in assignment.items()},
            MAP_SHAPE_KEY: list(map_shape), SUITE_KEY: suite_settings}


def _metadata(builder) -> dict:
    metadata = builder.info.metadata or {}
    missing = [key for key in (NORMALIZATION_KEY, SPLITS_KEY, MAP_SHAPE_KEY, SUITE_KEY) if key not in metadata]
    if missing:
        raise ValueError(f"{builder.data_dir} has no {', '.join(repr(k) for k in missing)} metadata: rebuild it with "
                         "this version's `tfds build datasets/hi21cm`")
    return metadata


def normalization(builder) -> Normalization:
    """The train split's normalisation statistics of a prepared dataset."""
    return Normalization.from_dict(_metadata(builder)[NORMALIZATION_KEY])


def map_shape(builder) -> Tuple[int, int, int]:
    """(H, W, C) of the dataset's maps."""
    return tuple(_metadata(builder)[MAP_SHAPE_KEY])


def box_length(builder) -> float:
    """Side of the simulation boxes, and of every map, in Mpc."""
    return float(_metadata(builder)[SUITE_KEY]["box_len"])


def fast_physics(builder) -> bool:
    """Whether the dataset's suite was made with 21cmFAST's coarse recipe (`SuiteConfig.fast_physics`)."""
    return bool(_metadata(builder)[SUITE_KEY].get("fast_physics", False))


def slab_depth(builder) -> float:
    """Line-of-sight depth (Mpc) each map averages over: slab_thickness cells of box_len / hii_dim."""
    suite = _metadata(builder)[SUITE_KEY]
    return float(suite["slab_thickness"]) * float(suite["box_len"]) / float(suite["hii_dim"])


def split_sim_ids(builder, split: str) -> List[str]:
    """The simulations (sim_ids) of `split`."""
    return list(_metadata(builder)[SPLITS_KEY][split])
