"""Write dummy_data/: a synthetic 3-simulation suite (8x8 maps, 2 slabs, z = 10, 15, 20) for the builder test.

Regenerate with `python datasets/hi21cm/make_dummy_data.py`; the content is deterministic.
"""
import glob
import os

from deep21_tf.data.synthetic import write_synthetic_suite
from deep21_tf.simulation.config import SuiteConfig

DUMMY_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "dummy_data")
CONFIG = SuiteConfig(num_sims=3, hii_dim=8, box_len=48.0, slab_thickness=4, slab_spacing=4, design_seed=7)

if __name__ == "__main__":
    for old in glob.glob(os.path.join(DUMMY_DIR, "*.h5")) + glob.glob(os.path.join(DUMMY_DIR, "manifest.json")):
        os.remove(old)  # the suite only; dummy_data/README.md stays
    write_synthetic_suite(DUMMY_DIR, CONFIG)
