"""The tf.data input pipeline: read → normalise → per pass: shuffle → [observe] → D4 augmentation → batch → prefetch.

Nothing is cached or materialised: memory is bounded by the shuffle buffer and the prefetched batches, not by
the size of the dataset. Augmented copies exist only for the element being produced.
"""
from __future__ import annotations

import functools
from typing import Optional, Sequence

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from deep21_tf.contracts import MODEL_KINDS, MODEL_TARGET_FIELD
from deep21_tf.data import d4, metadata
from deep21_tf.data.metadata import map_shape
from deep21_tf.data.reading import Source, load_normalization, open_builder
from deep21_tf.instrument.observe import observe

AUGMENTATIONS = ("random", "none", "all8")
#: Seeds of successive passes are seed × PASS_SEED_STRIDE + epoch (distinct for up to this many epochs).
PASS_SEED_STRIDE = 1_000_003


def make_dataset(source: Source, config_name: Optional[str], split: str, *, target: str = "unet",
                 augment: str = "none", batch_size: int = 30, num_replicas: int = 1, shuffle_buffer: int = 0,
                 seed: int = 0, epochs: Sequence[int] = (0,), drop_remainder: bool = False,
                 sim_ids: Optional[Sequence[str]] = None, maps_per_pass: int = 0,
                 instrument=None) -> tf.data.Dataset:
    """Batched, prefetched (input, target) pairs of normalised maps from the prepared hi21cm dataset.

    Args:
      source, config_name: the dataset, as for `deep21_tf.data.reading.open_builder` (data dir + config name,
        a dataset directory with config_name None, or a builder).
      split: a TFDS split ("train", "validation", "test", or a slice such as "train[:10%]").
      target: "unet" → (21 cm, δ); "astro" → (21 cm, normalised log10 parameters (3,)). Maps are (H, W, C).
      augment: "random": one of the 8 D4 transforms per example, applied identically to input and target map;
        "none"; "all8": every example is followed by its 8 transforms in order, so element i is transform
        ``i % 8`` (evaluation, test-time averaging).
      batch_size: examples per replica; the dataset's batches hold batch_size × num_replicas (global batch).
      shuffle_buffer: examples in the shuffle buffer (0: keep the stored order and read files in order).
      seed: seeds file order, shuffling and the random D4 draws.
      epochs: the passes over the split the dataset holds, in order, each batched on its own. Pass e is shuffled
        and augmented as a pure function of (seed, e), whatever was iterated before: a training run resumed at
        epoch s asks for ``range(s, total)`` and gets exactly the batches an uninterrupted run sees from s on.
      drop_remainder: drop each pass's last, incomplete batch.
      sim_ids: keep only the maps of these simulations (None: all of the split), e.g. a learning curve's subset.
      maps_per_pass: 0 → each pass holds every map once; n > 0 → each pass holds n maps drawn from all of them
        (`pass_draws`: every map ⌊n/N⌋ or ⌈n/N⌉ times, which maps get the extra draw a pure function of (seed, e)),
        so a training budget need not grow with the suite.
      instrument: a `deep21_tf.instrument.model.Instrument` for these maps, or None: each pass's 21 cm maps, after
        shuffling and before augmentation, are observed through it (`deep21_tf.instrument.observe`: uv response
        and fresh noise keyed by (split, seed, e, element)) and normalised with `instrument.normalization`.
    Auto-sharding for tf.distribute is set to DATA.
    """
    if target not in MODEL_KINDS:
        raise ValueError(f"target={target!r} is not allowed: use one of {MODEL_KINDS}")
    if augment not in AUGMENTATIONS:
        raise ValueError(f"augment={augment!r} is not allowed: use one of {AUGMENTATIONS}")
    for name, value, low in (("batch_size", batch_size, 1), ("num_replicas", num_replicas, 1),
                             ("shuffle_buffer", shuffle_buffer, 0), ("maps_per_pass", maps_per_pass, 0)):
        if value < low:
            raise ValueError(f"{name}={value} is not allowed: use {name} >= {low}")
    epochs = list(epochs)
    if not epochs or min(epochs) < 0:
        raise ValueError(f"epochs={epochs} is not allowed: give one or more epoch numbers >= 0")
    builder = open_builder(source, config_name)
    norm = load_normalization(builder)
    shape = map_shape(builder)
    if instrument is not None:
        instrument.check_geometry(norm.redshifts, shape, metadata.box_length(builder))
    wanted = ("map_21cm", MODEL_TARGET_FIELD[target])
    if sim_ids is not None:
        wanted += ("sim_id",)
    shuffle = shuffle_buffer > 0
    # try_autocache=False: TFDS would otherwise keep small datasets in RAM, so memory would grow with the data.
    # The file order is drawn once from the seed and kept for every pass: a pass must not depend on how often
    # the files were read before (the shuffle buffer mixes the examples anew in each pass).
    read_config = tfds.ReadConfig(shuffle_seed=seed, shuffle_reshuffle_each_iteration=False, try_autocache=False)
    ds = builder.as_dataset(split=split, shuffle_files=shuffle, read_config=read_config,
                            decoders=tfds.decode.PartialDecoding({name: True for name in wanted}))
    if sim_ids is not None:
        kept = tf.constant(sorted(sim_ids))
        ds = ds.filter(lambda example: tf.reduce_any(tf.equal(example["sim_id"], kept)))

    def normalise(example):
        x = norm.normalize("map_21cm", tf.ensure_shape(example["map_21cm"], shape))
        field = MODEL_TARGET_FIELD[target]
        y = tf.ensure_shape(example[field], shape) if target == "unet" else example[field]
        return x, norm.normalize(field, y)

    ds = ds.map(normalise, num_parallel_calls=tf.data.AUTOTUNE)
    global_batch = batch_size * num_replicas
    stored_maps = split_maps(builder, split, sim_ids) if maps_per_pass else 0

    def one_pass(epoch: int) -> tf.data.Dataset:
        examples = ds
        if maps_per_pass:
            examples = draw_maps(examples, pass_draws(stored_maps, maps_per_pass, pass_seed(seed, epoch)))
        if shuffle:
            examples = examples.shuffle(shuffle_buffer, seed=pass_seed(seed, epoch), reshuffle_each_iteration=False)
        if instrument is not None:
            examples = observe(examples, instrument, norm, seed, epoch, split)
        if augment == "random":
            examples = random_d4(examples, pass_seed(seed, epoch), transform_target=target == "unet")
        elif augment == "all8":
            examples = examples.flat_map(lambda x, y: tf.data.Dataset.from_tensor_slices(
                (d4.all_transforms(x), d4.all_transforms(y) if target == "unet" else tf.repeat(y[None], d4.D4_SIZE, 0))))
        return examples.batch(global_batch, drop_remainder=drop_remainder)

    ds = functools.reduce(tf.data.Dataset.concatenate, [one_pass(epoch) for epoch in epochs])
    ds = ds.prefetch(tf.data.AUTOTUNE)
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)


def split_maps(builder, split: str, sim_ids: Optional[Sequence[str]]) -> int:
    """Maps in `split`, or in its simulations `sim_ids` when given (every simulation holds as many maps)."""
    if sim_ids is None:
        return builder.info.splits[split].num_examples
    maps_per_sim = builder.info.splits["train"].num_examples // len(metadata.split_sim_ids(builder, "train"))
    return maps_per_sim * len(set(sim_ids))


def pass_draws(num_maps: int, maps_per_pass: int, seed: int) -> np.ndarray:
    """(num_maps,) int: how often each stored map enters a pass of `maps_per_pass` maps.

    Every map is drawn ⌊maps_per_pass / num_maps⌋ times, and a random set of the remainder once more (no map twice
    more than another): the pass covers all maps as evenly as its size allows, a pure function of `seed`.
    """
    if num_maps < 1:
        raise ValueError("the split holds no maps to draw from")
    whole, extra = divmod(maps_per_pass, num_maps)
    counts = np.full(num_maps, whole, np.int64)
    counts[np.random.default_rng(seed).permutation(num_maps)[:extra]] += 1
    return counts


def draw_maps(ds: tf.data.Dataset, counts: np.ndarray) -> tf.data.Dataset:
    """Element i of `ds` repeated counts[i] times (0: dropped), in the stored order."""
    counts = tf.constant(counts, tf.int64)
    return ds.enumerate().flat_map(lambda index, pair: tf.data.Dataset.from_tensors(pair).repeat(counts[index]))


def pass_seed(seed: int, epoch: int) -> int:
    """The seed of pass `epoch` of a stream seeded with `seed`."""
    return seed * PASS_SEED_STRIDE + epoch


def random_d4(ds: tf.data.Dataset, seed: int, transform_target: bool) -> tf.data.Dataset:
    """Apply one random D4 transform per (x, y) element, the same to x and (if `transform_target`) y.

    Transform k of element i comes from a stateless draw seeded by (seed, i): a pure function of the seed and
    the element's position, however often the dataset was iterated.
    """
    def transform(index, pair):
        x, y = pair
        k = tf.random.stateless_uniform([], seed=tf.stack([tf.constant(seed, tf.int64), index]), maxval=d4.D4_SIZE,
                                        dtype=tf.int32)
        return d4.apply(x, k), (d4.apply(y, k) if transform_target else y)

    return ds.enumerate().map(transform, num_parallel_calls=tf.data.AUTOTUNE)
