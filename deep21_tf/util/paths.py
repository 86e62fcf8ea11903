"""Where the package finds the files it ships, from a source checkout or an installed wheel (importable without
TensorFlow).

Two folders of the checkout are shipped by copying them into the package when a wheel is built (`setup.py`'s
build_py; the checkout keeps the single source): the presets `flags/*.flags` → `deep21_tf/presets/`, and the TFDS
folder files of `datasets/hi21cm/` (README.md, CITATIONS.bib) → `deep21_tf/data/hi21cm/`.
"""
from __future__ import annotations

import os

#: The deep21_tf package folder.
PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: The repository root, when the package runs from a source checkout (an editable install).
REPO_DIR = os.path.dirname(PACKAGE_DIR)


def _shipped(in_package: str, in_checkout: str) -> str:
    """The copy of a checkout folder inside an installed wheel, or the checkout's own folder."""
    packaged = os.path.join(PACKAGE_DIR, in_package)
    return packaged if os.path.isdir(packaged) else os.path.join(REPO_DIR, in_checkout)


#: The presets: one flagfile per suite, training recipe or pipeline run (tiny.flags, train_tiny.flags, demo.flags, …).
PRESETS_DIR = _shipped("presets", "flags")
#: The hi21cm TFDS folder files (README.md: the dataset's description, CITATIONS.bib; dummy_data/ in a checkout).
BUILDER_FOLDER = _shipped(os.path.join("data", "hi21cm"), os.path.join("datasets", "hi21cm"))
#: The trained z = 15 U-Net shipped with the package (deep21-predict uses it when no --model_dir is given).
SHIPPED_UNET_DIR = os.path.join(PACKAGE_DIR, "pretrained", "unet_z15")
#: The largest exported model the package ships (MB).
MAX_SHIPPED_MODEL_MB = 40
#: The shipped model of each deep21-predict --target (`contracts.PREDICTION_TARGETS`) and its name in messages.
SHIPPED_MODELS = {"density": (SHIPPED_UNET_DIR, "shipped U-Net z15"),
                  "parameters": (os.path.join(PACKAGE_DIR, "pretrained", "astronet_all_z"),
                                 "shipped AstroNet all_z")}
