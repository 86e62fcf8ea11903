"""deep21-saliency end to end on a tiny trained AstroNet: one fresh vanilla gradient per parameter."""
from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import run_cli

NUM_MAPS = 2


@pytest.fixture(scope="module")
def saliency_dir(trained_astro_dir, tiny_data_dir, tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("saliency")
    result = run_cli("deep21_tf.apps.saliency", f"--model_dir={trained_astro_dir}", f"--data_dir={tiny_data_dir}",
                     f"--num_maps={NUM_MAPS}", "--threshold=3", f"--output_dir={output_dir}")
    # a quiet start: no TensorFlow/CUDA start-up lines, no warnings TFDS gives about its own internals
    assert result.stderr.strip() == "", result.stderr
    return output_dir


@pytest.mark.slow
def test_saliency_maps_are_finite_non_negative_and_differ_between_parameters(saliency_dir, tiny_maps_mK):
    with np.load(saliency_dir / "saliency.npz") as data:
        saliency, maps = data["saliency"], data["maps_21cm_mK"]
        assert list(data["parameter_names"]) == ["log10_mturn", "log10_lx", "log10_ngamma"]
        assert float(data["threshold"]) == 3.0
        assert data["log10_params_pred"].shape == data["log10_params_true"].shape == (NUM_MAPS, 3)
    assert saliency.shape == (NUM_MAPS, 3, 32, 32) and maps.shape == (NUM_MAPS, 32, 32, 1)
    assert np.all(np.isfinite(saliency)) and np.all(saliency >= 0)
    assert np.all(saliency.max(axis=(2, 3)) > 0)  # a gradient reaches every map for every parameter
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert not np.allclose(saliency[:, a], saliency[:, b])
    np.testing.assert_allclose(maps[..., 0], tiny_maps_mK[:NUM_MAPS], rtol=1e-6)  # the first maps, in mK
    for index in range(NUM_MAPS):
        with open(saliency_dir / f"fig_saliency_{index}.png", "rb") as handle:
            assert handle.read(4) == b"\x89PNG"


@pytest.mark.slow
def test_each_parameter_gets_its_own_gradient(saliency_dir, trained_astro_dir):
    """tf-keras-vis' maps equal |∂ p̂_i/∂x| from a plain GradientTape, parameter by parameter (nothing accumulated)."""
    import tensorflow as tf

    from deep21_tf.training.trained_model import TrainedModel
    from deep21_tf.saliency import saliency_maps

    with np.load(saliency_dir / "saliency.npz") as data:
        maps, saved = data["maps_21cm_mK"], data["saliency"]
    model = TrainedModel.load(trained_astro_dir)
    inputs = tf.constant(model.norm.normalize("map_21cm", maps), tf.float32)
    for i in range(3):
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            output = model.network(inputs, training=False)[:, i]
        expected = np.abs(tape.gradient(output, inputs).numpy())[..., 0]
        np.testing.assert_allclose(saved[:, i], expected, rtol=1e-4, atol=1e-7 * expected.max())
    np.testing.assert_allclose(saliency_maps(model.network, inputs.numpy()), saved, rtol=1e-5)


def test_salient_pixels_are_those_above_threshold_times_the_mean():
    from deep21_tf.figures import salient_pixels

    saliency = np.zeros((1, 2, 4, 4))
    saliency[0, :, 0, 0] = 10.0
    saliency[0, 1, 1, 1] = 2.0
    mask = salient_pixels(saliency, threshold=5.0)  # means 0.625 and 0.75: 10 is salient, 2 is not
    assert mask.sum() == 2 and mask[0, 0, 0, 0] and mask[0, 1, 0, 0]


def test_figure_of_a_map_without_salient_pixels():
    from deep21_tf.figures import saliency_figure
    from deep21_tf.figures import figure_to_png

    flat = np.ones((1, 3, 8, 8), np.float32)  # nothing exceeds 5x the mean
    figure = saliency_figure(np.zeros((1, 8, 8)), flat, ["log10_mturn", "log10_lx", "log10_ngamma"], 5.0, 1.5)
    assert len(figure.axes) == 3 + 3  # a panel and a colour bar per parameter
    assert figure_to_png(figure).startswith(b"\x89PNG")


def test_saliency_figure_has_a_row_per_map():
    from deep21_tf.figures import saliency_figure

    saliency = np.zeros((2, 3, 8, 8), np.float32)
    saliency[:, :, 2, 3] = 1.0
    figure = saliency_figure(np.zeros((2, 8, 8)), saliency, ["log10_mturn", "log10_lx", "log10_ngamma"], 5.0, 1.5,
                             row_titles=["z = 10", "z = 15"])
    titles = [axis.get_title() for axis in figure.axes if axis.get_title()]
    assert len(titles) == 6 and titles[0].startswith("z = 10: ") and titles[3].startswith("z = 15: ")
    assert all(title.endswith("1 px > 5× mean") for title in titles)


@pytest.mark.slow
def test_saliency_refuses_a_unet(trained_unet_dir, tiny_data_dir, tmp_path):
    result = run_cli("deep21_tf.apps.saliency", f"--model_dir={trained_unet_dir}", f"--data_dir={tiny_data_dir}",
                     f"--output_dir={tmp_path / 'out'}", check=False)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("deep21-saliency: error:")
    assert "needs an AstroNet" in result.stderr and not (tmp_path / "out").exists()
