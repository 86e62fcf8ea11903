"""The dataset configs' twins: params_* (21 cm maps and parameters, no δ: AstroNet's data, which a compact suite of
21 cm maps only, float16, compressed, can make) and *_wedge (the 21 cm maps with the foreground wedge removed)."""
from __future__ import annotations

import dataclasses
import os

import h5py
import numpy as np
import pytest
import tensorflow_datasets as tfds

from deep21_tf.data import Hi21cm, load_normalization, make_dataset, open_builder
from deep21_tf.data.suite import SuiteError
from deep21_tf.data.synthetic import write_synthetic_suite
from deep21_tf.evaluation.data import first_simulated_map, physical_batches
from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.simulation.storage import incompleteness, read_maps, simulation_path
from deep21_tf.training.settings import TrainSettings

CONFIG = SuiteConfig(num_sims=4, hii_dim=16, box_len=48.0, slab_thickness=4, slab_spacing=4, design_seed=3)
COMPACT = dataclasses.replace(CONFIG, compact=True, density_redshifts=(15.0,))  # δ kept at z = 15 only
WEDGE = dataclasses.replace(CONFIG, wedge=True, design_seed=4)


@pytest.fixture(scope="module")
def suites(tmp_path_factory) -> dict:
    """The same random maps written as a full and as a compact suite, and a suite with wedge-filtered maps:
    {"full": dir, "compact": dir, "wedge": dir}."""
    root = tmp_path_factory.mktemp("suites")
    dirs = {name: str(root / name) for name in ("full", "compact", "wedge")}
    for name, config in (("full", CONFIG), ("compact", COMPACT), ("wedge", WEDGE)):
        write_synthetic_suite(dirs[name], config)
    return dirs


def test_a_compact_file_holds_float16_maps_and_density_only_where_asked(suites):
    _, design = read_manifest(suites["compact"])
    for spec in design:
        full_path, compact_path = simulation_path(suites["full"], spec), simulation_path(suites["compact"], spec)
        assert incompleteness(compact_path, spec, COMPACT) is None
        full_21cm, full_density, full_los, _ = read_maps(full_path, CONFIG.redshifts)
        compact_21cm, compact_density, compact_los, attrs = read_maps(compact_path, CONFIG.redshifts)
        assert full_density is not None and compact_density is None and bool(attrs["compact"])
        np.testing.assert_array_equal(compact_21cm, full_21cm.astype(np.float16).astype(np.float32))
        np.testing.assert_array_equal(compact_los, full_los)
        np.testing.assert_array_equal(read_maps(compact_path, (15.0,))[1],  # δ at the one redshift that keeps it
                                      full_density[..., 1:2].astype(np.float16).astype(np.float32))
        with h5py.File(compact_path, "r") as handle:
            stored = handle["z15.00/brightness_temp"]
            assert stored.dtype == np.float16 and stored.compression == "gzip"
            assert handle["z15.00/density"].dtype == np.float16
            assert "density" not in handle["z10.00"] and "density" not in handle["z20.00"]
    # a file of the other kind is not a complete file of the suite, and says why
    assert "compact=True, the manifest says False" in incompleteness(compact_path, spec, CONFIG)
    assert "compact=False, the manifest says True" in incompleteness(full_path, spec, COMPACT)


def _build(suite_dir: str, data_dir: str, config: str) -> None:
    Hi21cm(data_dir=data_dir, config=config).download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=suite_dir))


def test_a_compact_suite_builds_params_datasets_and_maps_only_where_it_kept_density(suites, tmp_path):
    data_dir = str(tmp_path / "data")
    os.makedirs(data_dir)
    with pytest.raises(SuiteError, match="density maps at z = 15 only.*at z = 10, 20.*params_z15") as error:
        _build(suites["compact"], data_dir, "all_z")
    assert "manifest.json" in str(error.value) and os.listdir(data_dir) == []
    _build(suites["compact"], data_dir, "z15")  # the U-Net's data at the redshift that kept δ
    assert len(load_normalization(data_dir, "z15").density_mean) == 1

    _build(suites["compact"], data_dir, "params_all_z")
    builder = tfds.builder_from_directory(os.path.join(data_dir, "hi21cm", "params_all_z", "1.1.0"))
    assert "density" not in builder.info.features and builder.info.supervised_keys == ("map_21cm", "log10_params")
    norm = load_normalization(data_dir, "params_all_z")
    assert norm.density_mean == () and len(norm.map_21cm_mean) == 3
    with pytest.raises(ValueError, match="no density maps"):
        norm.normalize("density", np.zeros(3))
    # its 21 cm statistics are those of the full suite, up to float16 rounding
    _build(suites["full"], data_dir, "all_z")
    full_norm = load_normalization(data_dir, "all_z")
    np.testing.assert_allclose(norm.map_21cm_mean, full_norm.map_21cm_mean, rtol=1e-3)
    np.testing.assert_allclose(norm.map_21cm_std, full_norm.map_21cm_std, rtol=1e-3)
    maps, params = next(make_dataset(data_dir, "params_all_z", "train", target="astro", batch_size=8)
                        .as_numpy_iterator())
    assert maps.shape == (8, 16, 16, 3) and params.shape == (8, 3) and np.all(np.isfinite(maps))


def test_the_unet_refuses_a_dataset_without_density():
    with pytest.raises(ValueError, match="--dataset=params_z15 holds no density maps.*z15"):
        TrainSettings(data_dir="data", dataset="params_z15").validate()
    assert TrainSettings(data_dir="data", dataset="params_z15", model="astro", encoder="scratch").validate()


def test_a_wedge_twin_packs_the_wedge_filtered_maps_and_needs_a_suite_with_them(suites, tmp_path):
    data_dir = str(tmp_path / "data")
    os.makedirs(data_dir)
    with pytest.raises(SuiteError, match="no 21 cm maps with the foreground wedge removed.*--wedge"):
        _build(suites["full"], data_dir, "z15_wedge")
    assert os.listdir(data_dir) == []
    _build(suites["wedge"], data_dir, "z15_wedge")
    _, design = read_manifest(suites["wedge"])
    wedge_maps = {spec.sim_id: read_maps(simulation_path(suites["wedge"], spec), (15.0,), "brightness_temp_wedge")[0]
                  for spec in design}
    builder = tfds.builder_from_directory(os.path.join(data_dir, "hi21cm", "z15_wedge", "1.1.0"))
    assert "wedge removed" in builder.info.features["map_21cm"].doc.desc and "density" in builder.info.features
    for example in tfds.as_numpy(builder.as_dataset(split="train")):
        stored = wedge_maps[example["sim_id"].decode()][example["slice_index"]]
        np.testing.assert_array_equal(example["map_21cm"], stored)
    norm = load_normalization(data_dir, "z15_wedge")
    train = np.concatenate([wedge_maps[sim_id] for sim_id in norm.train_sim_ids])
    np.testing.assert_allclose(norm.map_21cm_mean, [train.mean(dtype=np.float64)], rtol=1e-6, atol=1e-9)


def test_fig3_of_a_wedge_model_finds_the_map_as_simulated_in_the_plain_twin(suites, tmp_path):
    data_dir = str(tmp_path / "data")
    _build(suites["wedge"], data_dir, "z15_wedge")
    wedge = open_builder(data_dir, "z15_wedge")
    wedge_map, delta = (batch[0] for batch in next(physical_batches(wedge, "test", "unet", 1, 1, False)))
    assert first_simulated_map(wedge, data_dir, "z15_wedge", "test", delta) is None  # the plain twin is not built
    _build(suites["wedge"], data_dir, "z15")
    plain = open_builder(data_dir, "z15")
    plain_map, plain_delta = (batch[0] for batch in next(physical_batches(plain, "test", "unet", 1, 1, False)))
    np.testing.assert_array_equal(plain_delta, delta)  # the same slab of the same box
    simulated = first_simulated_map(wedge, data_dir, "z15_wedge", "test", delta)
    np.testing.assert_array_equal(simulated, plain_map)
    assert not np.allclose(simulated, wedge_map)
    assert first_simulated_map(plain, data_dir, "z15", "test", plain_delta) is None  # a noiseless plain model
    assert first_simulated_map(wedge, data_dir, "z15_wedge", "test", delta + 1.0) is None  # another suite's twin
