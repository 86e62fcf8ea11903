"""A damaged TFRecord shard: training, evaluation and saliency stop with one line naming the shard and the rebuild
command, exit status 2, and leave no stub model directory or empty output folder."""
from __future__ import annotations

import glob
import os
import shutil

import pytest

from tests.conftest import TINY_TRAINING, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def damaged_data_dir(tiny_data_dir, tmp_path_factory) -> str:
    """A copy of the tiny z15 dataset with 64 bytes overwritten inside the first record of every shard."""
    data_dir = str(tmp_path_factory.mktemp("damaged") / "tfds")
    shutil.copytree(os.path.join(tiny_data_dir, "hi21cm", "z15"), os.path.join(data_dir, "hi21cm", "z15"))
    for shard in glob.glob(os.path.join(data_dir, "hi21cm", "z15", "*", "*.tfrecord*")):
        with open(shard, "r+b") as handle:
            handle.seek(100)  # inside the first record: every reader meets it
            handle.write(bytes(range(64)))
    return data_dir


def assert_one_line_naming_the_shard(result, program: str, split: str) -> None:
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{program}: error: dataset hi21cm/z15 in ") and "Traceback" not in result.stderr
    assert f"hi21cm-{split}.tfrecord-00000-of-00001" in last and "failed its checksums" in last
    assert "tfds build datasets/hi21cm" in last and "--config=z15 --overwrite" in last


def test_training_on_a_damaged_shard_fails_in_one_line_and_leaves_no_model_dir(damaged_data_dir, tmp_path):
    model_dir = tmp_path / "unet"
    result = run_cli("deep21_tf.apps.train", f"--data_dir={damaged_data_dir}", f"--model_dir={model_dir}",
                     *TINY_TRAINING, check=False)
    assert_one_line_naming_the_shard(result, "deep21-train", "train")
    assert not model_dir.exists()


def test_evaluation_on_a_damaged_shard_fails_in_one_line_and_leaves_no_folder(trained_unet_dir, damaged_data_dir,
                                                                             tmp_path):
    output_dir = tmp_path / "evaluation"
    result = run_cli("deep21_tf.apps.evaluate", f"--model_dir={trained_unet_dir}", f"--data_dir={damaged_data_dir}",
                     f"--output_dir={output_dir}", "--progress=false", check=False)
    assert_one_line_naming_the_shard(result, "deep21-evaluate", "train")  # the Wiener filter is fitted first
    assert not output_dir.exists()


def test_saliency_on_a_damaged_shard_fails_in_one_line(trained_astro_dir, damaged_data_dir, tmp_path):
    output_dir = tmp_path / "saliency"
    result = run_cli("deep21_tf.apps.saliency", f"--model_dir={trained_astro_dir}", f"--data_dir={damaged_data_dir}",
                     f"--output_dir={output_dir}", check=False)
    assert_one_line_naming_the_shard(result, "deep21-saliency", "test")
    assert not output_dir.exists()
