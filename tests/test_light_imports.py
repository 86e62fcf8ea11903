"""The pure-numpy modules and the driver import without TensorFlow or Keras (fresh interpreter each)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import REPO

CHECK = "import sys, {module}; print(sorted(m for m in ('tensorflow', 'keras') if m in sys.modules))"


@pytest.mark.parametrize("module", ["deep21_tf.stats", "deep21_tf.data.splits", "deep21_tf.data.normalization",
                                    "deep21_tf.simulation.config", "deep21_tf.contracts", "deep21_tf.figures",
                                    "deep21_tf.driver.stages", "deep21_tf.apps.pipeline", "deep21_tf.predict",
                                    "deep21_tf.data", "deep21_tf.models", "deep21_tf.instrument.model",
                                    "deep21_tf.fits_image", "deep21_tf.simulation.wedge",
                                    "deep21_tf.evaluation.files", "deep21_tf.saliency_files",
                                    "deep21_tf.training.run_files", "deep21_tf.util.json_file"])
def test_module_imports_without_tensorflow(module):
    result = subprocess.run([sys.executable, "-c", CHECK.format(module=module)], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_package_names_still_load_their_modules_on_first_use():
    from deep21_tf.data import D4_SIZE, make_dataset
    from deep21_tf.models import build_unet

    assert D4_SIZE == 8 and callable(make_dataset) and callable(build_unet)
    with pytest.raises(ImportError, match="cannot import name 'nothing'"):
        from deep21_tf.data import nothing  # noqa: F401
