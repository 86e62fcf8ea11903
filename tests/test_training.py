"""Real Keras training on a real tiny dataset: loss goes down, MirroredStrategy, resume, TensorBoard, export."""
from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from deep21_tf.data import load_normalization, make_dataset
from deep21_tf.evaluation.run import evaluate
from deep21_tf.evaluation.parameter_baseline import WITHOUT_MEAN
from deep21_tf.training import run_files
from deep21_tf.training.resume import STATE_FILE
from deep21_tf.training.strategy import make_strategy
from tests.conftest import REPO, TINY_TRAINING, UNET_TRAINING, run_cli

pytestmark = pytest.mark.slow

TINY = ("--dataset=z15", "--base_filters=4", "--batch_size=4", "--shuffle_buffer=64", "--monitor_maps=2",
        "--lr_patience=2")


def train_args(data_dir: str, model_dir, *extra: str) -> list:
    return [f"--data_dir={data_dir}", f"--model_dir={model_dir}", *TINY, *extra]


def history(model_dir: str) -> list:
    with open(run_files.path(model_dir, run_files.HISTORY_FILE), encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_training_lowers_the_loss_and_writes_every_artefact(trained_unet_dir):
    rows = history(trained_unet_dir)
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    for name in (run_files.FLAGS_FILE, run_files.INFO_FILE, run_files.NORMALIZATION_FILE, run_files.NETWORK_FILE,
                 run_files.EXPORTED_FILE):
        assert os.path.isfile(run_files.path(trained_unet_dir, name)), name
    assert not os.path.exists(run_files.path(trained_unet_dir, run_files.BACKUP_DIR))
    info = run_files.read(trained_unet_dir, run_files.INFO_FILE)
    assert info["model"] == "unet" and info["input_shape"] == [32, 32, 1] and info["box_len"] == 48.0
    assert run_files.read(trained_unet_dir, run_files.FLAGS_FILE)["base_filters"] == 4


def test_selection_follows_the_validation_mse_without_the_l2_penalty(trained_unet_dir):
    rows = history(trained_unet_dir)
    assert all(float(row["val_mse"]) < float(row["val_loss"]) for row in rows)  # val_loss adds the penalty
    best = min(range(len(rows)), key=lambda i: float(rows[i]["val_mse"]))
    network = keras.saving.load_model(run_files.path(trained_unet_dir, run_files.NETWORK_FILE), safe_mode=True)
    assert network.optimizer.epsilon == 1e-8  # PyTorch's Adam ε
    assert int(network.optimizer.iterations) == (best + 1) * 3  # the best epoch's network (10 maps, batch 4)


def test_the_exported_model_holds_inference_weights_only(trained_unet_dir):
    with zipfile.ZipFile(run_files.path(trained_unet_dir, run_files.EXPORTED_FILE)) as archive, \
            archive.open("model.weights.h5") as stored, h5py.File(io.BytesIO(stored.read()), "r") as weights:
        names = []
        weights.visit(names.append)
    assert names and not [name for name in names if "optimizer" in name]


def read_events(log_dir: str) -> dict:
    """{tag: [value per step]} from every event file under `log_dir`; image summaries give their PNG bytes."""
    import tensorflow as tf

    found = {}
    for root, _, files in os.walk(log_dir):
        for name in files:
            if "tfevents" not in name:
                continue
            for event in tf.compat.v1.train.summary_iterator(os.path.join(root, name)):
                for value in event.summary.value:
                    array = tf.make_ndarray(value.tensor)
                    found.setdefault(value.tag, []).append(array if array.ndim else float(array))
    return found


def test_tensorboard_has_losses_learning_rate_spectra_and_image_panels(trained_unet_dir):
    logs = run_files.path(trained_unet_dir, run_files.LOG_DIR)
    train = read_events(os.path.join(logs, "train"))
    assert len(train["epoch_loss"]) == 3 and len(train["epoch_learning_rate"]) == 3
    validation = read_events(os.path.join(logs, "validation"))
    for tag in ("epoch_loss", "epoch_transfer_k0-0.7", "epoch_crosscorr_k0-0.7", "epoch_transfer_k0.7-2",
                "epoch_crosscorr_k0.7-2"):
        assert len(validation[tag]) == 3, tag
    assert all(-1.0 <= r <= 1.0 for r in validation["epoch_crosscorr_k0-0.7"])
    assert all(t > 0 for t in validation["epoch_transfer_k0-0.7"])
    for tag in ("validation_map_0", "validation_map_1"):
        assert len(validation[tag]) == 3
        assert bytes(validation[tag][0][2]).startswith(b"\x89PNG")  # [width, height, png]


def test_exported_model_takes_mK_and_reproduces_the_network(trained_unet_dir, tiny_data_dir):
    exported = keras.saving.load_model(run_files.path(trained_unet_dir, run_files.EXPORTED_FILE), safe_mode=True)
    network = keras.saving.load_model(run_files.path(trained_unet_dir, run_files.NETWORK_FILE), safe_mode=True)
    norm = load_normalization(tiny_data_dir, "z15")
    inputs, _ = next(iter(make_dataset(tiny_data_dir, "z15", "test", batch_size=4)))
    maps_mK = norm.denormalize("map_21cm", np.asarray(inputs))
    expected = norm.denormalize("density", network.predict(np.asarray(inputs), verbose=0))
    np.testing.assert_allclose(exported.predict(maps_mK, verbose=0), expected, rtol=1e-4, atol=1e-5)


def encoder_weights(model_dir: str) -> list:
    network = keras.saving.load_model(run_files.path(model_dir, run_files.NETWORK_FILE), safe_mode=True)
    return [np.asarray(w) for w in network.get_layer("encoder").weights]


@pytest.mark.parametrize("encoder, same, head_moments", [("frozen", True, False), ("trainable", False, True)])
def test_astronet_encoder_is_loaded_from_the_unet_then_frozen_or_trained(trained_unet_dir, tiny_data_dir, tmp_path,
                                                                         encoder, same, head_moments):
    # the trainable run also removes each map's mean: its network and its evaluation's baselines see none
    model_dir = tmp_path / f"astro_{encoder}"
    run_cli("deep21_tf.apps.train", *train_args(tiny_data_dir, model_dir, "--model=astro", f"--encoder={encoder}",
                                                f"--unet_dir={trained_unet_dir}", "--epochs=2",
                                                f"--head_moments={head_moments}", f"--remove_map_mean={not same}"))
    pairs = list(zip(encoder_weights(trained_unet_dir), encoder_weights(str(model_dir))))
    assert len(pairs) == 36
    assert all(np.array_equal(a, b) for a, b in pairs) == same
    exported = keras.saving.load_model(run_files.path(str(model_dir), run_files.EXPORTED_FILE), safe_mode=True)
    assert exported.output_shape == (None, 3)
    network = exported.get_layer("astronet")
    assert any(layer.name == "head_map_mean" for layer in network.layers) == head_moments
    assert any(layer.name == "map_minus_mean" for layer in network.layers) == (not same)
    assert run_files.read(str(model_dir), run_files.INFO_FILE)["remove_map_mean"] == (not same)
    if not same:
        maps = np.random.default_rng(4).normal(-20.0, 5.0, (2, 32, 32, 1)).astype("float32")  # mK
        offsets = np.array([3.0, -7.0], np.float32)[:, None, None, None]
        np.testing.assert_allclose(exported.predict(maps + offsets, verbose=0), exported.predict(maps, verbose=0),
                                   atol=1e-4)
        metrics = evaluate(str(model_dir), tiny_data_dir, split="train", output_dir=str(tmp_path / "eval"),
                           max_maps=8, progress=False)
        assert all(WITHOUT_MEAN in metrics[name]["description"] for name in ("baseline", "baseline_kernel"))


@pytest.fixture(scope="module")
def options_run(trained_unet_dir, tiny_data_dir, tmp_path_factory) -> tuple:
    """(model dir, summary) of one epoch trained with three options at once (one run instead of three): weights from
    the session U-Net at a learning rate of ~0 (`--init_from`), MirroredStrategy over two logical CPUs, and half the
    training simulations with 3 TensorBoard map panels."""
    model_dir = tmp_path_factory.mktemp("options") / "tuned"
    result = run_cli("deep21_tf.apps.train", *train_args(tiny_data_dir, model_dir, "--epochs=1",
                                                         f"--init_from={trained_unet_dir}", "--learning_rate=1e-12",
                                                         "--cpu_replicas=2", "--train_fraction=0.5",
                                                         "--monitor_maps=3"))
    return model_dir, json.loads(result.stdout.strip().splitlines()[-1])


def test_init_from_starts_a_run_from_a_trained_networks_weights(options_run, trained_unet_dir, tiny_data_dir,
                                                                tmp_path):
    # a learning rate of ~0: one epoch moves no kernel, so the fine-tuned network is the one it started from
    model_dir, _ = options_run
    start, tuned = (keras.saving.load_model(run_files.path(str(d), run_files.NETWORK_FILE), safe_mode=True)
                    for d in (trained_unet_dir, model_dir))
    kernels = [(a, b) for a, b in zip(start.weights, tuned.weights) if a.path.endswith("kernel")]
    assert len(kernels) == 18 and all(np.allclose(a, b, rtol=0, atol=1e-9) for a, b in kernels)
    info = run_files.read(str(model_dir), run_files.INFO_FILE)
    assert info["initialised_from"] == {"model_dir": os.path.abspath(trained_unet_dir), "dataset": "z15",
                                        "instrument": {"telescope": "none"}}
    wider = run_cli("deep21_tf.apps.train", *train_args(tiny_data_dir, tmp_path / "wider", "--epochs=1",
                                                        f"--init_from={trained_unet_dir}", "--base_filters=8"), check=False)
    assert wider.returncode == 2 and not (tmp_path / "wider").exists()
    assert "the networks differ at weight 0: enc1_unit1_conv/kernel of shape (3, 3, 1, 4) in the trained one, " \
           "enc1_unit1_conv/kernel of shape (3, 3, 1, 8) in the new one" in wider.stderr.strip().splitlines()[-1]


def test_mirrored_strategy_on_two_logical_cpus_uses_the_global_batch(options_run):
    _, summary = options_run
    assert summary["replicas"] == 2 and summary["global_batch"] == 8
    assert summary["steps_per_epoch"] == 1  # the 8 maps of one training simulation in one global batch


def test_train_fraction_trains_on_a_subset_of_the_training_simulations(options_run, tiny_data_dir, tmp_path):
    model_dir, summary = options_run
    assert summary["train_simulations"] == 1  # of 2
    info = run_files.read(str(model_dir), run_files.INFO_FILE)
    assert info["train_simulations"] == 1 and info["train_maps"] == 8
    panels = [tag for tag in read_events(run_files.path(str(model_dir), run_files.LOG_DIR)) if tag.startswith("validation_map")]
    assert sorted(panels) == ["validation_map_0", "validation_map_1", "validation_map_2"]  # --monitor_maps=3
    bad = run_cli("deep21_tf.apps.train", *train_args(tiny_data_dir, tmp_path / "bad", "--train_fraction=0"),
                  check=False)
    assert bad.returncode == 2 and "--train_fraction=0.0 is not allowed" in bad.stderr


def test_a_run_killed_mid_epoch_resumes_to_the_same_weights(trained_unet_dir, tiny_data_dir, tmp_path):
    """With a per-epoch budget (10 maps per epoch drawn from the 16 training maps) and the cosine schedule: the
    session U-Net is the uninterrupted run."""
    killed = tmp_path / "killed"
    args = [f"--data_dir={tiny_data_dir}", f"--model_dir={killed}", *UNET_TRAINING]
    summary = killed_then_resumed(args, killed, after_epoch=1)
    assert summary["resumed_from_epoch"] >= 1  # killed inside epoch 2 (or while writing its backup)
    assert summary["steps_per_epoch"] == 3  # 4 + 4 + 2 maps
    resumed_rows, straight_rows = history(str(killed)), history(trained_unet_dir)
    assert [int(row["epoch"]) for row in resumed_rows] == [0, 1, 2]  # no epoch logged twice
    np.testing.assert_allclose([float(row["learning_rate"]) for row in straight_rows],
                               1e-3 * (1 + np.cos(np.pi * np.arange(3) / 3)) / 2, rtol=1e-5)
    for a, b in zip(straight_rows, resumed_rows):  # every epoch, the last one's val_loss = the final weights
        for column in ("loss", "val_loss", "learning_rate"):
            np.testing.assert_allclose(float(b[column]), float(a[column]), rtol=1e-5, err_msg=column)
    a = keras.saving.load_model(run_files.path(trained_unet_dir, run_files.EXPORTED_FILE), safe_mode=True)
    b = keras.saving.load_model(run_files.path(str(killed), run_files.EXPORTED_FILE), safe_mode=True)
    for wa, wb in zip(a.weights, b.weights):
        np.testing.assert_allclose(np.asarray(wa), np.asarray(wb), rtol=1e-5, atol=1e-6)


def killed_then_resumed(args: list, model_dir, after_epoch: int) -> dict:
    """Run ``deep21-train args`` in a subprocess, SIGKILL it once its backup holds `after_epoch` epochs (it is then
    inside the next epoch, or writing its backup), check that it left an unfinished run, then run the same command
    again to resume it; return the resumed run's summary."""
    process = subprocess.Popen([sys.executable, "-m", "deep21_tf.apps.train", *args], cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state = model_dir / run_files.BACKUP_DIR / STATE_FILE
    deadline = time.time() + 300
    while time.time() < deadline and not (state.exists() and json.loads(state.read_text())["epoch"] >= after_epoch):
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not run_files.is_finished(str(model_dir))
    return json.loads(run_cli("deep21_tf.apps.train", *args).stdout.strip().splitlines()[-1])


def test_astronet_killed_mid_epoch_resumes_with_the_same_dropout_masks(trained_astro_dir, tiny_data_dir, tmp_path):
    # the session's AstroNet (2 epochs, Dropout in its head) is the uninterrupted run; this one dies inside epoch 2
    killed = tmp_path / "astro"
    summary = killed_then_resumed([f"--data_dir={tiny_data_dir}", f"--model_dir={killed}", *TINY_TRAINING,
                                   "--model=astro", "--encoder=scratch"], killed, after_epoch=1)
    assert summary["resumed_from_epoch"] == 1  # epoch 2 was trained after the restore
    # every column of every epoch, to the last digit: epoch 2's training loss depends on its dropout masks
    assert history(str(killed)) == history(trained_astro_dir)
    a = keras.saving.load_model(run_files.path(trained_astro_dir, run_files.EXPORTED_FILE), safe_mode=True)
    b = keras.saving.load_model(run_files.path(str(killed), run_files.EXPORTED_FILE), safe_mode=True)
    assert [w.path for w in a.weights] == [w.path for w in b.weights]
    assert max(float(np.abs(np.asarray(wa) - np.asarray(wb)).max()) for wa, wb in zip(a.weights, b.weights)) == 0


@pytest.mark.parametrize("extra, message", [
    (["--model=astro", "--encoder=frozen"], "--encoder=frozen loads a trained U-Net: give --unet_dir"),
    (["--epochs=0"], "--epochs=0 is not allowed"),
    (["--dataset=z99"], "--dataset=z99: value should be one of <z10|z15|z20|all_z|z10_wedge|"),
    (["--model=unet", "--dataset=params_z15"], "--dataset=params_z15 holds no density maps, which the U-Net learns"),
])
def test_bad_training_flags_fail_clearly_and_write_nothing(tiny_data_dir, tmp_path, extra, message):
    model_dir = tmp_path / "m"
    result = run_cli("deep21_tf.apps.train", *train_args(tiny_data_dir, model_dir, *extra), check=False)
    assert result.returncode != 0 and message in result.stderr
    assert not model_dir.exists()


def test_a_finished_run_is_not_overwritten_without_overwrite(trained_unet_dir, tiny_data_dir):
    result = run_cli("deep21_tf.apps.train", *train_args(tiny_data_dir, trained_unet_dir, "--epochs=3"), check=False)
    assert result.returncode != 0 and "holds a finished run; pass --overwrite" in result.stderr


def test_mixed_bfloat16_training_computes_in_bfloat16_and_exports_float32(tiny_data_dir, tmp_path):
    model_dir = tmp_path / "bf16"
    run_cli("deep21_tf.apps.train", *train_args(tiny_data_dir, model_dir, "--epochs=2", "--mixed_precision"))
    network = keras.saving.load_model(run_files.path(str(model_dir), run_files.NETWORK_FILE), safe_mode=True)
    assert network.get_layer("encoder").get_layer("enc1_unit1_conv").compute_dtype == "bfloat16"
    assert network.get_layer("final_conv").compute_dtype == "float32"
    rows = history(str(model_dir))
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    exported = keras.saving.load_model(run_files.path(str(model_dir), run_files.EXPORTED_FILE), safe_mode=True)
    maps = np.random.default_rng(0).normal(-20.0, 5.0, (2, 32, 32, 1)).astype("float32")
    predicted = exported.predict(maps, verbose=0)
    assert predicted.dtype == np.float32 and np.all(np.isfinite(predicted))


@pytest.mark.skipif(bool(tf.config.list_physical_devices("GPU")), reason="the CPU-only choice")
def test_one_cpu_replica_trains_under_the_default_strategy():
    # fit under an explicit strategy (Mirrored or OneDevice) over one CPU is ~40 % slower per step than without
    strategy = make_strategy(1)
    assert strategy is tf.distribute.get_strategy()
    assert not tf.distribute.has_strategy() and strategy.num_replicas_in_sync == 1
