"""deep21-saliency: which pixels of a 21 cm map drive AstroNet's parameters (paper Sec. IV.5, Figs. 9–10).

  deep21-saliency --model_dir=runs/demo/astro --data_dir=DATA_DIR [--num_maps=4] [--threshold=5]

Vanilla-gradient saliency (tf-keras-vis) per parameter, a fresh gradient each. Writes saliency.npz and
fig_saliency_{n}.png (the 21 cm map with the pixels above threshold × mean saliency as red dots, one panel
per parameter) into MODEL_DIR/saliency unless --output_dir.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import define_model_split_flags, run_work  # noqa: E402

PROGRAM = "deep21-saliency"
FLAGS = flags.FLAGS
define_model_split_flags("Model dir of a trained AstroNet (deep21-train --model=astro).",
                         "saliency.npz and the figures", "MODEL_DIR/saliency")
flags.DEFINE_integer("num_maps", 4, "Number of maps (the first ones of the split).", lower_bound=1)
flags.DEFINE_float("threshold", 5.0, "Salient pixels: saliency above this many times the map's mean.",
                   lower_bound=0.0)


def main(argv):
    def work():
        from deep21_tf.saliency import run_saliency

        return run_saliency(FLAGS.model_dir, FLAGS.data_dir, split=FLAGS.split, num_maps=FLAGS.num_maps,
                            threshold=FLAGS.threshold, output_dir=FLAGS.output_dir, progress=False)

    return run_work(PROGRAM, argv, work)

def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
