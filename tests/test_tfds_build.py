"""`tfds build datasets/hi21cm` as a user runs it, on a real suite made by `deep21-simulate`; bad suites fail clearly.

The built data dir is conftest's `tiny_data_dir`: z15 with Beam multi-processing (2 workers), all_z with the
default DirectRunner. Bad-suite cases run the builder in-process on copies of the dummy suite (no Beam needed:
the suite is checked before anything is written); one case also goes through the CLI on a copy of the real suite.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import pytest
import tensorflow_datasets as tfds

from deep21_tf.data import Hi21cm, load_normalization, metadata, open_builder
from deep21_tf.data.splits import assign_splits, split_counts
from deep21_tf.data.suite import SuiteError
from deep21_tf.evaluation.data import map_sim_ids, physical_batches
from deep21_tf.simulation.manifest import read_manifest
from tests.conftest import REPO, TFDS_CLI, run_cli, tfds_build

DUMMY_SUITE = os.path.join(REPO, "datasets", "hi21cm", "dummy_data")


def _sim_ids(builder, split):
    return [sim_id.decode() for sim_id in tfds.as_numpy(builder.as_dataset(split=split).map(lambda e: e["sim_id"]))]


@pytest.mark.slow
@pytest.mark.parametrize("config", ["z15", "all_z"])
def test_splits_are_disjoint_by_simulation_with_70_15_15_sizes(tiny_data_dir, tiny_suite, config):
    suite_config, design = read_manifest(tiny_suite)
    maps_per_sim = len(suite_config.slab_starts)
    builder = open_builder(tiny_data_dir, config)
    expected = assign_splits(spec.sim_id for spec in design)
    seen = {}
    for split, count in split_counts(len(design)).items():
        ids = _sim_ids(builder, split)
        assert len(ids) == builder.info.splits[split].num_examples == count * maps_per_sim
        assert set(ids) == set(expected[split]) == set(builder.info.metadata["splits"][split])
        for sim_id in set(ids):
            assert seen.setdefault(sim_id, split) == split, f"{sim_id} is in {seen[sim_id]} and {split}"
    assert set(seen) == {spec.sim_id for spec in design}
    assert builder.info.metadata["map_shape"] == [suite_config.hii_dim, suite_config.hii_dim,
                                                  1 if config == "z15" else 3]
    assert builder.info.metadata["suite"] == suite_config.to_json()  # fast_physics included: the tiny preset's
    assert metadata.fast_physics(builder) and suite_config.fast_physics


@pytest.mark.slow
@pytest.mark.parametrize("config, groups", [("z15", ["z15.00"]), ("all_z", ["z10.00", "z15.00", "z20.00"])])
def test_statistics_come_from_the_train_split_only(tiny_data_dir, tiny_suite, config, groups):
    stats = load_normalization(tiny_data_dir, config)
    splits = open_builder(tiny_data_dir, config).info.metadata["splits"]
    assert list(stats.train_sim_ids) == splits["train"]

    def numpy_stats(sim_ids, field):
        values = []
        for group in groups:
            per_sim = []
            for sim_id in sim_ids:
                with h5py.File(os.path.join(tiny_suite, sim_id + ".h5"), "r") as handle:
                    per_sim.append(handle[group][field][()])
            values.append(np.array(per_sim, dtype=np.float64))
        return [v.mean() for v in values], [v.std() for v in values]

    for field, name in (("map_21cm", "brightness_temp"), ("density", "density")):
        mean, std = numpy_stats(splits["train"], name)
        np.testing.assert_allclose(getattr(stats, field + "_mean"), mean, rtol=1e-9)
        np.testing.assert_allclose(getattr(stats, field + "_std"), std, rtol=1e-9)
    all_mean, _ = numpy_stats(sum(splits.values(), []), "brightness_temp")
    assert not np.allclose(stats.map_21cm_mean, all_mean, rtol=1e-9), "statistics must not include held-out maps"
    _, design = read_manifest(tiny_suite)
    train_params = [[getattr(spec, name) for name in stats.parameter_names] for spec in design
                    if spec.sim_id in splits["train"]]
    np.testing.assert_allclose(stats.log10_params_mean, np.mean(train_params, axis=0), rtol=1e-12)
    np.testing.assert_allclose(stats.log10_params_std, np.std(train_params, axis=0), rtol=1e-9)


@pytest.mark.slow
def test_features_and_reading_without_the_builder_code(tiny_data_dir, tiny_suite):
    path = os.path.join(tiny_data_dir, "hi21cm", "z15", "1.1.0")
    script = ("import json, sys, tensorflow_datasets as tfds\n"
              f"b = tfds.builder_from_directory({path!r})\n"
              "e = tfds.as_numpy(next(iter(b.as_dataset(split='test'))))\n"
              "assert 'deep21_tf' not in sys.modules\n"
              "print(json.dumps(dict(shape=e['map_21cm'].shape, params=e['params'].tolist(),"
              " log10_params=e['log10_params'].tolist(), sim_id=e['sim_id'].decode(), seed=int(e['seed']),"
              " slice_index=int(e['slice_index']), los_axis=int(e['los_axis']), redshift=e['redshift'].tolist(), box_len=float(e['box_len']),"
              " cell_size=float(e['cell_size']), stats=b.info.metadata['normalization'])))\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    example = json.loads(result.stdout.strip().splitlines()[-1])
    _, design = read_manifest(tiny_suite)
    spec = next(spec for spec in design if spec.sim_id == example["sim_id"])
    log10_params = [getattr(spec, name) for name in example["stats"]["parameter_names"]]
    np.testing.assert_allclose(example["params"], [10.0 ** p for p in log10_params], rtol=1e-12)
    np.testing.assert_allclose(example["log10_params"], log10_params, rtol=1e-7)
    assert example["shape"] == [32, 32, 1] and example["redshift"] == [15.0] and example["seed"] == spec.seed
    assert example["box_len"] == 48.0 and example["cell_size"] == 1.5 and 0 <= example["slice_index"] < 8
    assert example["los_axis"] == 2  # one line of sight: the box's z axis


@pytest.mark.slow
def test_evaluation_box_ids_follow_the_maps_it_scores(tiny_data_dir, tiny_suite):
    """`map_sim_ids` reads the split a second time: its ids must be those of the maps `physical_batches` yields, in
    the same order (the per-box scores and bootstrap intervals rest on it). Checked on the train split's 2 boxes
    against the suite's own files."""
    builder = open_builder(tiny_data_dir, "z15")
    maps = np.concatenate([m[..., 0] for m, _ in physical_batches(builder, "train", "astro", 5, progress=False)])
    box_ids = map_sim_ids(builder, "train")
    assert len(set(box_ids)) == 2 and len(box_ids) == len(maps) == 16
    for sim_id in set(box_ids):
        with h5py.File(os.path.join(tiny_suite, sim_id + ".h5"), "r") as handle:
            stored = handle["z15.00/brightness_temp"][()]
        for slab_map in maps[box_ids == sim_id]:  # every map credited to a box is one of that box's maps
            assert np.min(np.abs(stored - slab_map).max(axis=(1, 2))) < 1e-3


def _copy_suite(source: str, tmp_path, name: str = "suite") -> str:
    return shutil.copytree(source, str(tmp_path / name))


def _break_partial(suite):
    path = os.path.join(suite, "sim_00001.h5")
    os.replace(path, path + ".partial-x1y2z3")  # a killed writer's leftover; the final file is missing
    return path, "missing"


def _break_corrupt(suite):
    path = os.path.join(suite, "sim_00002.h5")
    with open(path, "r+b") as handle:
        handle.truncate(os.path.getsize(path) // 2)
    return path, "unreadable"


def _break_shape(suite):
    path = os.path.join(suite, "sim_00000.h5")
    with h5py.File(path, "r+") as handle:
        del handle["z15.00/density"]
        handle["z15.00"].create_dataset("density", data=np.zeros((2, 16, 16), np.float32))
    return path, "z15.00/density missing or not of shape"


def _break_redshift_group(suite):
    path = os.path.join(suite, "sim_00001.h5")
    with h5py.File(path, "r+") as handle:
        del handle["z15.00"]
    return path, "redshift group z15.00 missing"


def _break_manifest_redshifts(suite):
    path = os.path.join(suite, "manifest.json")
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    manifest["config"]["redshifts"] = [10.0, 20.0]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)
    return path, "not z=15"


@pytest.mark.parametrize("breaker", [_break_partial, _break_corrupt, _break_shape, _break_redshift_group,
                                     _break_manifest_redshifts])
def test_bad_suites_fail_naming_the_file_and_write_nothing(tmp_path, breaker):
    suite = _copy_suite(DUMMY_SUITE, tmp_path)
    path, reason = breaker(suite)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(SuiteError) as error:
        Hi21cm(data_dir=str(data_dir), config="z15").download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=suite))
    assert path in str(error.value) and reason in str(error.value)
    assert "deep21-simulate" in str(error.value) or "config" in str(error.value)
    assert os.listdir(data_dir) == []


@pytest.mark.parametrize("make, expected", [(lambda tmp: str(tmp / "nowhere"), "does not exist"),
                                            (lambda tmp: str(tmp / "empty"), "manifest.json not found")])
def test_missing_or_empty_suite_dir_fails_clearly(tmp_path, make, expected):
    (tmp_path / "empty").mkdir()
    suite = make(tmp_path)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with pytest.raises(SuiteError, match=expected) as error:
        Hi21cm(data_dir=str(data_dir), config="z15").download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=suite))
    assert suite in str(error.value)
    assert os.listdir(data_dir) == []


@pytest.mark.slow
def test_cli_reports_a_corrupt_real_suite_file_and_leaves_data_dir_empty(tiny_suite, tmp_path):
    suite = _copy_suite(tiny_suite, tmp_path)
    path, reason = _break_corrupt(suite)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    result = tfds_build(suite, str(data_dir), "z15", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("tfds build: error: ") and path in last_line and reason in last_line
    assert os.listdir(data_dir) == []


def test_cli_without_manual_dir_says_what_to_pass(tmp_path):
    result = run_cli(TFDS_CLI, "build", "datasets/hi21cm", f"--data_dir={tmp_path / 'data'}", "--config=z15",
                     check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("tfds build: error: no --manual_dir given: ") and "deep21-simulate" in last_line


@pytest.mark.slow
def test_a_build_removes_what_killed_builds_left(tiny_suite, tmp_path):
    data_dir = tmp_path / "data"
    killed = data_dir / "hi21cm" / "z15" / f"incomplete.ABC123_{Hi21cm.VERSION}"
    killed.mkdir(parents=True)
    (killed / "hi21cm-train.tfrecord-00000-of-00001").write_bytes(b"half a shard")
    tfds_build(tiny_suite, str(data_dir), "z15")
    assert os.listdir(data_dir / "hi21cm" / "z15") == [str(Hi21cm.VERSION)]
