"""Data stage: splits by simulation, the D4 group, normalisation, and the tf.data pipeline on a built dataset.

The pipeline tests build the dummy suite of datasets/hi21cm/dummy_data (3 simulations x 2 maps of 8x8) with the
real builder and Beam, then read it through `make_dataset` as training and evaluation will.
"""
from __future__ import annotations

import glob
import os
import random

import h5py
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from deep21_tf.data import Hi21cm, load_normalization, make_dataset, open_builder
from deep21_tf.data import d4
from deep21_tf.data.normalization import Normalization, compute_normalization
from deep21_tf.data.splits import SplitError, assign_splits, check_disjoint, split_counts

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DUMMY_SUITE = os.path.join(REPO, "datasets", "hi21cm", "dummy_data")


# --- splits -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("num_sims, expected", [(3, (1, 1, 1)), (4, (2, 1, 1)), (10, (6, 2, 2)), (20, (14, 3, 3)),
                                                (100, (70, 15, 15)), (1000, (700, 150, 150))])
def test_split_sizes_are_70_15_15(num_sims, expected):
    ids = [f"sim_{i:05d}" for i in range(num_sims)]
    assignment = assign_splits(ids)
    assert tuple(len(assignment[split]) for split in ("train", "validation", "test")) == expected
    assert tuple(split_counts(num_sims).values()) == expected
    check_disjoint(assignment, ids)


def test_splits_are_stable_and_independent_of_order():
    ids = [f"sim_{i:05d}" for i in range(10)]
    shuffled = ids[:]
    random.Random(1).shuffle(shuffled)
    assert assign_splits(shuffled) == assign_splits(ids)
    # Pinned: the documented sha256 rule must never change, or datasets built earlier would mean other splits.
    assert assign_splits(ids) == {
        "train": ("sim_00001", "sim_00002", "sim_00006", "sim_00007", "sim_00008", "sim_00009"),
        "validation": ("sim_00003", "sim_00004"), "test": ("sim_00000", "sim_00005")}


def test_split_errors_are_clear():
    with pytest.raises(SplitError, match="at least 3"):
        assign_splits(["sim_00000", "sim_00001"])
    with pytest.raises(SplitError, match="more than once"):
        assign_splits(["sim_00000", "sim_00000", "sim_00001"])
    with pytest.raises(SplitError, match="sim_00001 is in both"):
        check_disjoint({"train": ["sim_00000", "sim_00001"], "test": ["sim_00001"]}, ["sim_00000", "sim_00001"])
    with pytest.raises(SplitError, match="missing"):
        check_disjoint({"train": ["sim_00000"]}, ["sim_00000", "sim_00001"])


# --- D4 -----------------------------------------------------------------------------------------------------

@pytest.fixture
def maps():
    return np.random.default_rng(0).normal(size=(3, 6, 6, 2)).astype(np.float32)


def test_d4_transforms_are_eight_distinct_and_zero_is_identity(maps):
    images = [d4.apply(maps[0], k) for k in range(d4.D4_SIZE)]
    assert np.array_equal(images[0], maps[0])
    assert len({image.tobytes() for image in images}) == d4.D4_SIZE
    assert np.array_equal(d4.all_transforms(maps[0]), np.stack(images))


def test_d4_is_a_group(maps):
    x = maps[0]
    for a in range(d4.D4_SIZE):
        assert np.array_equal(d4.apply(d4.apply(x, a), d4.inverse_index(a)), x)
        assert np.array_equal(d4.apply_inverse(d4.apply(x, a), a), x)
        assert np.array_equal(d4.apply_inverse(x, a), d4.apply(x, d4.inverse_index(a)))
        for b in range(d4.D4_SIZE):
            composed = d4.compose_index(a, b)
            assert 0 <= composed < d4.D4_SIZE
            assert np.array_equal(d4.apply(d4.apply(x, b), a), d4.apply(x, composed))


def test_d4_numpy_and_tensorflow_agree_on_single_maps_and_batches(maps):
    @tf.function
    def apply_tf(x, k):
        return d4.apply(x, k), d4.apply_inverse(x, k)

    for k in range(d4.D4_SIZE):
        forward, backward = apply_tf(tf.constant(maps), tf.constant(k))
        assert np.array_equal(forward.numpy(), d4.apply(maps, k))
        assert np.array_equal(backward.numpy(), d4.apply_inverse(maps, k))
        assert np.array_equal(d4.apply(maps, k)[1], d4.apply(maps[1], k))
    assert np.array_equal(d4.all_transforms(tf.constant(maps[0])).numpy(), d4.all_transforms(maps[0]))


def test_d4_rejects_bad_index(maps):
    with pytest.raises(ValueError, match="0 <= k < 8"):
        d4.apply(maps, 8)


# --- normalisation ------------------------------------------------------------------------------------------

def _read(path, dataset=None):
    """A dataset of an HDF5 file, or its attributes."""
    with h5py.File(path, "r") as handle:
        return handle[dataset][()] if dataset else dict(handle.attrs)


def test_statistics_match_numpy_over_the_given_files_only():
    files = sorted(glob.glob(os.path.join(DUMMY_SUITE, "sim_*.h5")))[:2]
    stats = compute_normalization(files, (10.0, 20.0), ("sim_00000", "sim_00001"))
    for field, name in (("map_21cm", "brightness_temp"), ("density", "density")):
        values = [[_read(path, f"{group}/{name}") for path in files] for group in ("z10.00", "z20.00")]
        np.testing.assert_allclose(getattr(stats, field + "_mean"), [np.mean(v, dtype=np.float64) for v in values],
                                   rtol=1e-10)
        np.testing.assert_allclose(getattr(stats, field + "_std"), [np.std(v, dtype=np.float64) for v in values],
                                   rtol=1e-10)
    params = [[_read(path)[name] for name in stats.parameter_names] for path in files]
    np.testing.assert_allclose(stats.log10_params_mean, np.mean(params, axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.log10_params_std, np.std(params, axis=0), rtol=1e-10)


def test_normalization_round_trips_and_rejects_bad_dicts():
    files = sorted(glob.glob(os.path.join(DUMMY_SUITE, "sim_*.h5")))[:1]
    stats = compute_normalization(files, (15.0,), ("sim_00000",))
    assert stats.log10_params_std == (1.0, 1.0, 1.0)  # one simulation: parameters only centred
    assert Normalization.from_dict(stats.to_dict()) == stats
    x = np.random.default_rng(1).normal(size=(4, 4, 1)).astype(np.float32)
    np.testing.assert_allclose(stats.denormalize("map_21cm", stats.normalize("map_21cm", x)), x, rtol=1e-5, atol=1e-4)
    with pytest.raises(ValueError, match="missing"):
        Normalization.from_dict({"redshifts": [15.0]})
    with pytest.raises(ValueError, match="unknown field"):
        stats.normalize("temperature", x)


# --- the pipeline on a built (dummy) dataset ----------------------------------------------------------------

@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> str:
    """A TFDS data dir with hi21cm/z15 and hi21cm/all_z built from the dummy suite by the real builder (Beam)."""
    path = str(tmp_path_factory.mktemp("tfds"))
    for config in ("z15", "all_z"):
        Hi21cm(data_dir=path, config=config).download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=DUMMY_SUITE))
    return path


def _pairs(ds):
    return [(x.numpy(), y.numpy()) for x, y in ds.unbatch()]


def _transform_index(before, after):
    matches = [k for k in range(d4.D4_SIZE) if np.array_equal(d4.apply(before, k), after)]
    assert len(matches) == 1
    return matches[0]


@pytest.mark.slow
def test_inputs_and_targets_are_the_normalised_stored_maps(data_dir):
    norm = load_normalization(data_dir, "z15")
    raw = list(open_builder(data_dir, "z15").as_dataset(split="validation"))
    for target, key, field in (("unet", "density", "density"), ("astro", "log10_params", "log10_params")):
        pairs = _pairs(make_dataset(data_dir, "z15", "validation", target=target, batch_size=2))
        assert len(pairs) == len(raw) == 2
        for (x, y), example in zip(pairs, raw):
            np.testing.assert_allclose(x, norm.normalize("map_21cm", example["map_21cm"].numpy()), rtol=1e-6)
            np.testing.assert_allclose(y, norm.normalize(field, example[key].numpy()), rtol=1e-6)


@pytest.mark.slow
def test_random_d4_is_identical_on_input_and_target_and_reproducible(data_dir):
    def draws(seed, target="unet", epochs=(0,)):
        plain = _pairs(make_dataset(data_dir, "all_z", "train+validation+test", target=target, batch_size=4))
        ds = make_dataset(data_dir, "all_z", "train+validation+test", target=target, augment="random", batch_size=4,
                          seed=seed, epochs=epochs)
        ks = []
        for (x0, y0), (x1, y1) in zip(plain * len(epochs), _pairs(ds)):
            k = _transform_index(x0, x1)
            np.testing.assert_array_equal(y1, d4.apply(y0, k) if target == "unet" else y0)
            ks.append(k)
        return ks

    first = draws(seed=5, epochs=(0, 1))
    assert len(set(first)) > 1
    assert first[:6] != first[6:], "each epoch must draw new transforms"
    assert draws(seed=5, epochs=(0, 1)) == first, "the same seed must give the same transforms"
    assert draws(seed=5, epochs=(1,)) == first[6:], "an epoch's draws must not depend on the epochs before it"
    assert draws(seed=6) != first[:6]
    draws(seed=5, target="astro")


@pytest.mark.slow
def test_each_epoch_is_a_pure_function_of_seed_and_epoch(data_dir):
    """What makes a resumed training run exact: epochs 2-3 alone equal the tail of epochs 0-3, also when the
    dataset was iterated before (Keras peeks at one batch before training)."""
    def epochs(numbers):
        return make_dataset(data_dir, "all_z", "train+validation+test", augment="random", batch_size=4,
                            shuffle_buffer=4, seed=3, epochs=numbers)

    whole = [x for x, _ in _pairs(epochs(range(4)))]
    tail = epochs(range(2, 4))
    next(iter(tail))
    resumed = [x for x, _ in _pairs(tail)]
    assert len(whole) == 4 * 6 and len(resumed) == 2 * 6  # 6 maps per pass
    for a, b in zip(whole[12:], resumed):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(np.stack(whole[:6]), np.stack(whole[6:12])), "each pass is shuffled anew"


@pytest.mark.slow
def test_all8_expands_each_example_into_its_eight_transforms_in_order(data_dir):
    plain = _pairs(make_dataset(data_dir, "all_z", "test", batch_size=1))
    expanded = _pairs(make_dataset(data_dir, "all_z", "test", augment="all8", batch_size=8))
    assert len(expanded) == d4.D4_SIZE * len(plain)
    for i, (x, y) in enumerate(expanded):
        x0, y0 = plain[i // d4.D4_SIZE]
        np.testing.assert_array_equal(x, d4.apply(x0, i % d4.D4_SIZE))
        np.testing.assert_array_equal(y, d4.apply(y0, i % d4.D4_SIZE))


@pytest.mark.slow
def test_batching_shapes_and_distribution_options(data_dir):
    ds = make_dataset(data_dir, "all_z", "train+validation+test", batch_size=2, num_replicas=2, drop_remainder=True,
                      shuffle_buffer=4, seed=1, epochs=range(3))
    x, y = next(iter(ds))
    assert x.shape == y.shape == (4, 8, 8, 3)
    assert ds.element_spec[0].shape == (4, 8, 8, 3)
    assert ds.options().experimental_distribute.auto_shard_policy == tf.data.experimental.AutoShardPolicy.DATA
    astro = make_dataset(data_dir, "z15", "train", target="astro", batch_size=3)
    assert astro.element_spec[1].shape.as_list() == [None, 3]


@pytest.mark.slow
def test_channels_are_redshifts_in_increasing_order(data_dir):
    builder = open_builder(data_dir, "all_z")
    example = next(iter(builder.as_dataset(split="test")))
    assert example["redshift"].numpy().tolist() == [10.0, 15.0, 20.0]
    path = os.path.join(DUMMY_SUITE, example["sim_id"].numpy().decode() + ".h5")
    for channel, group in enumerate(("z10.00", "z15.00", "z20.00")):
        stored = _read(path, f"{group}/brightness_temp")[int(example["slice_index"])]
        np.testing.assert_array_equal(example["map_21cm"].numpy()[..., channel], stored)
    assert load_normalization(builder).redshifts == (10.0, 15.0, 20.0)


@pytest.mark.slow
def test_bad_arguments_and_missing_datasets_fail_clearly(data_dir):
    with pytest.raises(ValueError, match="target='map' is not allowed.*unet"):
        make_dataset(data_dir, "z15", "train", target="map")
    with pytest.raises(ValueError, match="augment='flip' is not allowed.*all8"):
        make_dataset(data_dir, "z15", "train", augment="flip")
    with pytest.raises(ValueError, match="batch_size=0"):
        make_dataset(data_dir, "z15", "train", batch_size=0)
    with pytest.raises(FileNotFoundError, match=r"no prepared hi21cm/z10 .*'all_z', 'z15'"):
        open_builder(data_dir, "z10")
    assert tfds.builder("hi21cm/z15", data_dir=data_dir).info.splits["train"].num_examples == 2


def test_synthetic_suites_are_complete_suites(tmp_path):
    from deep21_tf.data.synthetic import write_synthetic_suite
    from deep21_tf.simulation.config import SuiteConfig
    from deep21_tf.simulation.manifest import read_manifest
    from deep21_tf.simulation.storage import incompleteness, simulation_path

    config = SuiteConfig(num_sims=3, hii_dim=8, box_len=48.0, slab_thickness=4, slab_spacing=4, redshifts=(15.0,))
    write_synthetic_suite(str(tmp_path), config)
    stored_config, design = read_manifest(str(tmp_path))
    assert stored_config == config
    assert all(incompleteness(simulation_path(str(tmp_path), spec), spec, config) is None for spec in design)


@pytest.mark.slow
def test_sim_ids_keep_only_the_maps_of_those_simulations(data_dir):
    everything = _pairs(make_dataset(data_dir, "z15", "train+validation+test", batch_size=2))
    ids = open_builder(data_dir, "z15").info.metadata["splits"]["test"]
    kept = _pairs(make_dataset(data_dir, "z15", "train+validation+test", batch_size=2, sim_ids=ids))
    assert len(everything) == 6 and len(kept) == 2  # 3 simulations of 2 maps; one kept
    raw = [e["map_21cm"].numpy() for e in open_builder(data_dir, "z15").as_dataset(split="test")]
    norm = load_normalization(data_dir, "z15")
    for (x, _), stored in zip(kept, raw):
        np.testing.assert_allclose(x, norm.normalize("map_21cm", stored), rtol=1e-6)


def test_pass_draws_cover_every_map_as_evenly_as_the_pass_allows():
    from deep21_tf.data.tfdata import pass_draws

    for num_maps, per_pass in ((10, 4), (10, 10), (10, 25), (7, 1)):
        counts = pass_draws(num_maps, per_pass, seed=3)
        assert counts.sum() == per_pass and counts.max() - counts.min() <= 1
        np.testing.assert_array_equal(counts, pass_draws(num_maps, per_pass, seed=3))
    assert not np.array_equal(pass_draws(100, 30, seed=1), pass_draws(100, 30, seed=2))
    with pytest.raises(ValueError, match="no maps"):
        pass_draws(0, 5, seed=1)


@pytest.mark.slow
def test_maps_per_pass_draws_a_fixed_budget_from_every_map_per_epoch(data_dir):
    """A fixed budget per epoch (fewer or more maps than stored), each pass a pure function of seed and epoch."""
    def passes(per_pass, numbers, sim_ids=None):
        ds = make_dataset(data_dir, "all_z", "train+validation+test", augment="random", batch_size=4,
                          shuffle_buffer=4, seed=3, epochs=numbers, maps_per_pass=per_pass, sim_ids=sim_ids)
        return [x for x, _ in _pairs(ds)]

    plain = [x for x, _ in _pairs(make_dataset(data_dir, "all_z", "train+validation+test", batch_size=4))]
    for per_pass in (4, 15):  # 6 maps stored: a pass of 4 leaves two out, a pass of 15 repeats every map 2-3 times
        whole = passes(per_pass, range(3))
        assert len(whole) == 3 * per_pass
        tail = passes(per_pass, range(1, 3))
        for a, b in zip(whole[per_pass:], tail):
            np.testing.assert_array_equal(a, b)
        drawn = [next(i for i, p in enumerate(plain) if any(np.array_equal(d4.apply(p, k), x)
                                                               for k in range(d4.D4_SIZE))) for x in whole[:per_pass]]
        counts = np.bincount(drawn, minlength=len(plain))
        assert counts.sum() == per_pass and counts.max() - counts.min() <= 1
    assert len(passes(5, (0,), sim_ids=open_builder(data_dir, "z15").info.metadata["splits"]["train"])) == 5
    with pytest.raises(ValueError, match="maps_per_pass=-1"):
        make_dataset(data_dir, "z15", "train", maps_per_pass=-1)
