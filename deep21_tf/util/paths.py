"""Where the source checkout keeps things the installed package refers to (importable without TensorFlow)."""
from __future__ import annotations

import os

#: The repository root of this source checkout.
REPO_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
#: The hi21cm TFDS builder folder (`tfds build` takes it; README.md, CITATIONS.bib, dummy_data/ live there).
BUILDER_SOURCE_DIR = os.path.join(REPO_DIR, "datasets", "hi21cm")
#: The trained z = 15 U-Net shipped with the package (deep21-predict uses it when no --model_dir is given).
SHIPPED_UNET_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pretrained", "unet_z15")
