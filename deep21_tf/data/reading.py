"""Open a prepared hi21cm dataset from its files alone (no builder code needed) and read its metadata."""
from __future__ import annotations

import os
from typing import Optional, Union

import tensorflow_datasets as tfds

from deep21_tf.data import metadata
from deep21_tf.data.normalization import Normalization
from deep21_tf.data.tfds_builder import BUILDER_CONFIGS, NAME

#: A prepared builder, or a path: a TFDS data dir (with a config name) or one dataset version directory.
Source = Union[str, os.PathLike, tfds.core.DatasetBuilder]


def open_builder(source: Source, config_name: Optional[str] = None) -> tfds.core.DatasetBuilder:
    """The prepared dataset `source` refers to.

    `source` is a builder (returned as is), a TFDS data dir such as the `--data_dir` of `tfds build` (then
    `config_name` picks the config, e.g. ``z15``, and the newest version is used), or, with `config_name`
    None, one dataset directory such as ``DATA_DIR/hi21cm/z15/1.1.0``. Raises FileNotFoundError naming the
    directory and the configs that exist.
    """
    if isinstance(source, tfds.core.DatasetBuilder):
        return source
    path = os.fspath(source)
    if config_name is None:
        if not os.path.isfile(os.path.join(path, "dataset_info.json")):
            raise FileNotFoundError(f"{path} is not a prepared dataset directory (no dataset_info.json); pass the "
                                    f"data dir of `tfds build` and a config name ({_config_names()})")
        return tfds.builder_from_directory(path)
    config_dir = os.path.join(path, NAME, config_name)
    versions = sorted((tfds.core.Version(name) for name in _listdir(config_dir) if tfds.core.Version.is_valid(name)
                       and os.path.isfile(os.path.join(config_dir, name, "dataset_info.json"))), reverse=True)
    if not versions:
        built = sorted(name for name in _listdir(os.path.join(path, NAME)) if not name.startswith("."))
        raise FileNotFoundError(f"no prepared {NAME}/{config_name} dataset in {path} "
                                f"(prepared configs: {built or 'none'}); build it with `tfds build datasets/{NAME} --manual_dir=SUITE_DIR --data_dir={path} "
                                f"--config={config_name}` ({_config_names()})")
    return tfds.builder_from_directory(os.path.join(config_dir, str(versions[0])))


def load_normalization(source: Source, config_name: Optional[str] = None) -> Normalization:
    """The train-split normalisation statistics stored with the dataset (see `open_builder` for `source`)."""
    return metadata.normalization(open_builder(source, config_name))


def _listdir(path: str) -> list:
    return os.listdir(path) if os.path.isdir(path) else []


def _config_names() -> str:
    return "configs: " + ", ".join(config.name for config in BUILDER_CONFIGS)
