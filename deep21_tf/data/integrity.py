"""A damaged TFRecord shard becomes one clear error naming the shard and the command that rebuilds it."""
from __future__ import annotations

import contextlib
import glob
import os
from typing import Iterator, List

import tensorflow as tf
import tensorflow_datasets as tfds

from deep21_tf.data.tfds_builder import NAME


class CorruptDatasetError(ValueError):
    """A prepared dataset's file cannot be read (the message names it and how to rebuild the dataset)."""


def corrupt_shards(builder: tfds.core.DatasetBuilder) -> List[str]:
    """The TFRecord files of `builder` whose records fail their checksums (or cannot be read), sorted."""
    damaged = []
    for path in sorted(glob.glob(os.path.join(builder.data_dir, f"{NAME}-*.tfrecord*"))):
        try:
            for _ in tf.data.TFRecordDataset(path):
                pass
        except (tf.errors.DataLossError, tf.errors.OutOfRangeError, tf.errors.InvalidArgumentError):
            damaged.append(path)
    return damaged


@contextlib.contextmanager
def readable(builder: tfds.core.DatasetBuilder) -> Iterator[None]:
    """Run the body; turn TensorFlow's DataLossError from a damaged shard of `builder` into CorruptDatasetError."""
    try:
        yield
    except tf.errors.DataLossError as error:
        damaged = corrupt_shards(builder) or ["(no shard fails alone; the read failed with: "
                                              f"{str(error).strip().splitlines()[0]})"]
        config = builder.builder_config.name if builder.builder_config else "?"
        data_dir = os.path.dirname(os.path.dirname(os.path.dirname(builder.data_dir)))
        raise CorruptDatasetError(
            f"dataset {NAME}/{config} in {data_dir} is damaged: {', '.join(damaged)} failed its checksums; rebuild "
            f"it with `tfds build datasets/{NAME} --manual_dir=SUITE_DIR --data_dir={data_dir} --config={config} "
            "--overwrite`") from None
