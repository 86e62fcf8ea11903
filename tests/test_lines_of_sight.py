"""Three lines of sight per box: redshift-space distortions along the chosen axis, slabs perpendicular to it,
every map of a box in that box's split. Real 21cmFAST runs at 32³ cells / 48 Mpc."""
from __future__ import annotations

import os

import h5py
import numpy as np
import pytest

from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.manifest import read_manifest
from deep21_tf.simulation.storage import incompleteness, redshift_group, simulation_path
from tests.conftest import TINY_FLAGS, run_cli, tfds_build

pytestmark = pytest.mark.slow

#: Modes within this angle of an axis count as "along" it (|μ| > cos 37° ≈ 0.8), at k below K_MAX (Mpc⁻¹).
ALONG_DEGREES = 37.0
K_MAX = 0.6


@pytest.fixture(scope="module")
def coeval_z10():
    """A real 32³ coeval box at z = 10 with all three velocity components (one in-process run of the tiny preset's
    fast physics: the test is about the redshift-space shift, not the recipe)."""
    import py21cmfast as p21c

    from deep21_tf.simulation.design import SimulationSpec
    from deep21_tf.simulation.physics import build_inputs

    config = SuiteConfig(num_sims=1, hii_dim=32, box_len=48.0, redshifts=(10.0,), lines_of_sight=3, fast_physics=True)
    spec = SimulationSpec(index=0, seed=1234, log10_mturn=8.5, log10_lx=40.5, log10_ngamma=3.5)
    for coeval, is_output in p21c.generate_coeval(inputs=build_inputs(spec, config, 2), out_redshifts=[10.0],
                                                  write=False):
        if is_output:
            return coeval
    raise AssertionError("21cmFAST returned no coeval box at z = 10")


def power_ratio_along_each_axis(distorted: np.ndarray, real: np.ndarray, box_len: float) -> np.ndarray:
    """P_distorted / P_real summed over the modes with k < K_MAX within ALONG_DEGREES of each box axis (3,)."""
    n = real.shape[0]
    k = 2 * np.pi * np.fft.fftfreq(n, box_len / n)
    k_axes = np.stack(np.meshgrid(k, k, k, indexing="ij"))
    k_norm = np.sqrt((k_axes ** 2).sum(0))
    power = [np.abs(np.fft.fftn(f - f.mean())) ** 2 for f in (distorted.astype(np.float64), real.astype(np.float64))]
    ratios = []
    for axis in range(3):
        mu = np.abs(k_axes[axis]) / np.where(k_norm > 0, k_norm, 1.0)
        modes = (k_norm > 0) & (k_norm < K_MAX) & (mu > np.cos(np.radians(ALONG_DEGREES)))
        ratios.append(power[0][modes].sum() / power[1][modes].sum())
    return np.array(ratios)


@pytest.mark.parametrize("axis", [0, 1, 2])
def test_redshift_space_distorts_the_power_along_the_chosen_axis_only(coeval_z10, axis):
    from deep21_tf.simulation.physics import redshift_space

    real = np.asarray(coeval_z10.brightness_temp)
    distorted = redshift_space(coeval_z10, "brightness_temp", axis)
    assert distorted.shape == real.shape
    np.testing.assert_allclose(distorted.mean(), real.mean(), rtol=1e-5)  # the shift conserves the signal
    ratios = power_ratio_along_each_axis(distorted, real, box_len=48.0)
    change = np.abs(np.log(ratios))
    others = [a for a in range(3) if a != axis]
    # Kaiser: the modes along the line of sight change by tens of per cent (this box is in emission at z = 10 and
    # gains 1.5-2x there; with today's recipe it was ~0.6x), those across it by a few per cent.
    assert change[axis] > np.log(1.25), ratios
    assert change[axis] > 3 * change[others].max(), ratios


def test_the_wedge_is_removed_along_each_maps_own_line_of_sight_and_stored(coeval_z10, tmp_path):
    """With a buffer b > 0 the wedge removes the whole k∥ = 0 plane of each line of sight's box, so the mean of
    the slabs that tile it (8 slabs of 4 cells) vanishes — along that line of sight only."""
    from deep21_tf.simulation.design import SimulationSpec
    from deep21_tf.simulation.physics import SimulationResult, _cut_maps
    from deep21_tf.simulation.storage import WEDGE_FIELD, write_simulation_file

    config = SuiteConfig(num_sims=1, hii_dim=32, box_len=48.0, redshifts=(10.0,), slab_thickness=4, slab_spacing=4,
                         lines_of_sight=3, wedge=True, wedge_buffer=0.1)
    maps = _cut_maps(coeval_z10, 10.0, config)
    wedge, plain = maps.brightness_temp_wedge, maps.brightness_temp
    assert wedge.shape == plain.shape == (24, 32, 32)
    for axis in range(3):
        of_axis = maps.los_axis == axis
        assert np.abs(wedge[of_axis].mean(axis=0)).max() < 1e-4 * plain.std()
        assert np.abs(plain[of_axis].mean(axis=0) - plain.mean()).max() > 0.1 * plain.std()
    assert (wedge - wedge.mean()).std() < 0.5 * (plain - plain.mean()).std()  # most of the power is inside
    spec = SimulationSpec(index=0, seed=1234, log10_mturn=8.5, log10_lx=40.5, log10_ngamma=3.5)
    path = str(tmp_path / "sim_00000.h5")
    write_simulation_file(path, spec, config, SimulationResult({10.0: maps}, "test", {}, 2))
    assert incompleteness(path, spec, config) is None
    with h5py.File(path, "r") as handle:
        stored = handle[redshift_group(10.0)][WEDGE_FIELD]
        assert np.array_equal(stored[()], wedge) and np.isclose(stored.attrs["wedge_slope"], 4.032, atol=1e-3)


@pytest.fixture(scope="module")
def three_los_suite(tmp_path_factory) -> str:
    """A real 3-simulation suite with three lines of sight per box, made by the CLI."""
    suite_dir = str(tmp_path_factory.mktemp("los") / "suite")
    run_cli("deep21_tf.apps.simulate", f"--flagfile={TINY_FLAGS}", f"--suite_dir={suite_dir}", "--num_sims=3",
            "--lines_of_sight=3", "--redshifts=15", "--progress=false")
    return suite_dir


def test_three_lines_of_sight_give_slabs_perpendicular_to_x_y_and_z(three_los_suite):
    config, design = read_manifest(three_los_suite)
    assert config.lines_of_sight == 3 and config.maps_per_box == 24
    path = simulation_path(three_los_suite, design[0])
    assert incompleteness(path, design[0], config) is None
    with h5py.File(path, "r") as handle:
        group = handle[redshift_group(15.0)]
        density, los_axis = group["density"][()], group["los_axis"][()]
        assert group["brightness_temp"].shape == density.shape == (24, 32, 32)
    assert los_axis.tolist() == [0] * 8 + [1] * 8 + [2] * 8
    # The 4-cell slabs tile each axis, so the three stacks are projections of one δ box: the mean of δ over
    # x in [0, 4), all y and z in [4s, 4s + 4) must agree whether read from the x slabs or from the z slabs.
    along_x, along_z = density[:8], density[16:]  # along_x[s]: (y, z); along_z[s]: (x, y)
    from_x = along_x[0].mean(axis=0).reshape(8, 4).mean(axis=1)
    from_z = np.array([along_z[s][:4].mean() for s in range(8)])
    np.testing.assert_allclose(from_x, from_z, rtol=1e-4, atol=1e-6)
    # and y slabs against z slabs: y in [0, 4), all x, z in [4s, 4s + 4)
    along_y = density[8:16]  # along_y[s]: (x, z)
    from_y = along_y[0].mean(axis=0).reshape(8, 4).mean(axis=1)
    from_z = np.array([along_z[s][:, :4].mean() for s in range(8)])
    np.testing.assert_allclose(from_y, from_z, rtol=1e-4, atol=1e-6)


def test_every_map_of_a_box_stays_in_its_split_with_its_axis(three_los_suite, tmp_path):
    import tensorflow_datasets as tfds

    from deep21_tf.data import open_builder

    data_dir = str(tmp_path / "tfds")
    tfds_build(three_los_suite, data_dir, "z15")
    builder = open_builder(data_dir, "z15")
    splits = builder.info.metadata["splits"]
    for split in ("train", "validation", "test"):
        examples = list(tfds.as_numpy(builder.as_dataset(split=split)))
        sims = {example["sim_id"].decode() for example in examples}
        assert sims == set(splits[split])
        assert len(examples) == 24 * len(sims)
        for sim_id in sims:
            axes = sorted(int(e["los_axis"]) for e in examples if e["sim_id"].decode() == sim_id)
            assert axes == [0] * 8 + [1] * 8 + [2] * 8
    assert os.path.isdir(os.path.join(data_dir, "hi21cm", "z15"))
