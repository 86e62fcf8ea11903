"""The files deep21-saliency writes (importable without TensorFlow), for the stages and the report that read them.

    MODEL_DIR/saliency/saliency.npz   the saliency maps (`deep21_tf.saliency`), written last: its presence means complete
"""
from __future__ import annotations

import os

SALIENCY_SUBDIR = "saliency"
SALIENCY_FILE = "saliency.npz"


def saliency_path(model_dir: str) -> str:
    """Where deep21-saliency writes the saliency maps of `model_dir` by default."""
    return os.path.join(model_dir, SALIENCY_SUBDIR, SALIENCY_FILE)
