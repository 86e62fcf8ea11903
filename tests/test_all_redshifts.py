"""The all-redshift dataset (z = 10, 15, 20 as channels): a U-Net trained on it, evaluated and applied per redshift."""
from __future__ import annotations

import json

import numpy as np
import pytest

import tensorflow as tf

from deep21_tf.data import load_normalization, make_dataset
from deep21_tf.saliency import run_saliency
from deep21_tf.training.trained_model import TrainedModel
from tests.conftest import run_cli, tfds_build

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def all_z_unet(tiny_data_dir, tmp_path_factory) -> str:
    model_dir = str(tmp_path_factory.mktemp("all_z") / "unet")
    run_cli("deep21_tf.apps.train", f"--data_dir={tiny_data_dir}", f"--model_dir={model_dir}", "--dataset=all_z",
            "--base_filters=4", "--batch_size=4", "--shuffle_buffer=64", "--epochs=2", "--monitor_maps=2")
    return model_dir


def test_evaluation_reports_every_redshift(all_z_unet, tiny_data_dir, tmp_path):
    run_cli("deep21_tf.apps.evaluate", f"--model_dir={all_z_unet}", f"--data_dir={tiny_data_dir}",
            f"--output_dir={tmp_path}", "--progress=false")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert sorted(metrics["redshifts"], key=float) == ["10", "15", "20"]
    for z, summary in metrics["redshifts"].items():
        assert summary["network"]["num_maps"] == 8 and np.isfinite(summary["network"]["mse_delta^2"])
        assert (tmp_path / f"fig4_power_z{z}.png").read_bytes().startswith(b"\x89PNG")


def test_predict_takes_three_channel_maps(all_z_unet, tiny_data_dir, tmp_path):
    inputs, _ = next(make_dataset(tiny_data_dir, "all_z", "test", batch_size=2).as_numpy_iterator())
    maps = load_normalization(tiny_data_dir, "all_z").denormalize("map_21cm", inputs)  # (2, 32, 32, 3) in mK
    np.save(tmp_path / "maps.npy", maps.astype(np.float32))
    run_cli("deep21_tf.apps.predict", f"--model_dir={all_z_unet}", f"--input={tmp_path / 'maps.npy'}",
            f"--output={tmp_path / 'delta.npy'}")
    delta = np.load(tmp_path / "delta.npy")
    assert delta.shape == (2, 32, 32, 3) and np.all(np.isfinite(delta))


def test_astronet_reads_the_parameters_from_the_three_redshifts_together(all_z_unet, tiny_suite, tmp_path):
    """AstroNet on params_all_z (21 cm maps and parameters only, built with `tfds build`) end to end: its encoder
    from the all_z U-Net (trainable), trained on half the training boxes (a learning-curve point), scored with both
    baselines — fitted on the same box — on the statistics of all three redshift channels."""
    data_dir, model_dir = tmp_path / "data", tmp_path / "astro"
    tfds_build(tiny_suite, str(data_dir), "params_all_z")
    run_cli("deep21_tf.apps.train", f"--data_dir={data_dir}", f"--model_dir={model_dir}", "--dataset=params_all_z",
            "--model=astro", "--encoder=trainable", f"--unet_dir={all_z_unet}", "--base_filters=4", "--batch_size=4",
            "--shuffle_buffer=64", "--epochs=1", "--train_fraction=0.5")
    info = json.loads((model_dir / "model_info.json").read_text())
    assert info["input_shape"] == [32, 32, 3] and info["redshifts"] == [10.0, 15.0, 20.0]
    assert info["train_simulations"] == len(info["train_sim_ids"]) == 1
    assert info["encoder"]["kind"] == "trainable" and info["encoder"]["unet_dataset"] == "all_z"
    run_cli("deep21_tf.apps.evaluate", f"--model_dir={model_dir}", f"--data_dir={data_dir}", "--split=train",
            f"--output_dir={tmp_path / 'eval'}", "--progress=false")
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["baseline"]["train_boxes"] == metrics["baseline_kernel"]["train_boxes"] == 1
    for name in ("network", "baseline", "baseline_kernel"):
        assert metrics[name]["num_maps"] == 16 and metrics[name]["num_boxes"] == 2
        assert all(np.isfinite(v) and v <= 1 for v in metrics[name]["r2_log10"].values())
    # saliency per redshift channel: each channel's own |∂p̂/∂x|, their maximum, and each redshift's share
    summary = run_saliency(str(model_dir), str(data_dir), split="train", num_maps=2,
                           output_dir=str(tmp_path / "saliency"), progress=False)
    with np.load(tmp_path / "saliency" / "saliency.npz") as data:
        per_channel, saliency, maps = data["saliency_per_channel"], data["saliency"], data["maps_21cm_mK"]
    assert per_channel.shape == (2, 3, 3, 32, 32) and np.array_equal(saliency, per_channel.max(axis=2))
    model = TrainedModel.load(str(model_dir))
    inputs = tf.constant(model.norm.normalize("map_21cm", maps), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        output = model.network(inputs, training=False)[:, 1]  # log10 L_X
    expected = np.moveaxis(np.abs(tape.gradient(output, inputs).numpy()), -1, 1)  # (N, C, H, W)
    np.testing.assert_allclose(per_channel[:, 1], expected, rtol=1e-4, atol=1e-7 * expected.max())
    shares = summary["channel_share"]
    assert set(shares) == {"log10_mturn", "log10_lx", "log10_ngamma"}
    assert all(set(row) == {"10", "15", "20"} and abs(sum(row.values()) - 1) < 1e-6 for row in shares.values())
    assert (tmp_path / "saliency" / "fig_saliency_0.png").read_bytes().startswith(b"\x89PNG")
