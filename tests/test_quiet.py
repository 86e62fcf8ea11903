"""The driver passes on a stage's stderr without TensorFlow's CPU start-up noise; the apps start TensorFlow without
scikit-learn, which still imports after."""
from __future__ import annotations

import subprocess
import sys

import pytest

from deep21_tf.util.quiet import call_quietly, has_nvidia_gpu

NOISY = ("import sys; sys.stderr.write('E0000 00:00 cuda_platform.cc:52] failed call to cuInit: CUDA error\\n'"
         "'WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\\n'"
         "'tfds build: error: no --manual_dir given\\n'); sys.exit(2)")


@pytest.mark.skipif(has_nvidia_gpu(), reason="on a GPU machine every line is passed on")
def test_call_quietly_drops_the_start_up_noise_and_keeps_the_rest(capfd):
    assert call_quietly([sys.executable, "-c", NOISY]) == 2
    assert capfd.readouterr().err == "tfds build: error: no --manual_dir given\n"


STARTED = ("import sys; from deep21_tf.util.quiet import start_tensorflow_quietly; start_tensorflow_quietly(); "
           "print('sklearn' in sys.modules, end=' '); import keras, sklearn, tensorflow as tf; "
           "print(keras.ops.sum(tf.ones(3)).numpy(), sklearn.__name__)")


def test_tensorflow_starts_without_scikit_learn_which_still_imports_after():
    process = subprocess.run([sys.executable, "-c", STARTED], capture_output=True, text=True, check=True)
    assert process.stdout.split() == ["False", "3.0", "sklearn"]
