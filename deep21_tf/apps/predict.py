"""deep21-predict: the matter density (U-Net) or the astrophysical parameters (AstroNet) of your own 21 cm maps.

  deep21-predict --input=maps.npy --output=density.npy      # the shipped z = 15 U-Net (64² maps, 1.5 Mpc)
  deep21-predict --target=parameters --input=maps.npy --output=params.json   # the shipped model of the parameters
  deep21-predict --model_dir=runs/demo/unet --input=maps.npy --output=density.npy [--png=first.png] [--tta]
  deep21-predict --model_dir=runs/demo/astro --input=maps.h5 --key=maps --output=params.json
  deep21-predict --model_dir=runs/aa4_1000h/unet --input=image.fits [--redshift=15] --output=density.fits

Input: maps in mK, one (H, W) or a stack (N, H, W) [or (N, H, W, C) for multi-redshift models], H and W multiples
of 8, in .npy, .npz or .h5 (--key picks the array), or a FITS image (K or mK, pixel scale from its WCS, redshift
from its header or --redshift; its pixel size in Mpc is checked against the model's). Output: δ maps (.npy, the
input's shape, or .fits under a FITS input's header; with --tta the D4-averaged δ and OUTPUT_std.npy/.fits) or the
parameters (.json, log10 and physical; also printed, one line per map, with their D4 spread under --tta). Bad input:
one error line, exit 2, nothing written. Maps unlike the training data (mean, spread, --cell_size) get warnings.
"""
from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import run_work  # noqa: E402
from deep21_tf.contracts import INFERENCE_BATCH_SIZE, PREDICTION_TARGETS  # noqa: E402

PROGRAM = "deep21-predict"
FLAGS = flags.FLAGS
flags.DEFINE_string("model_dir", None, "Model dir written by deep21-train (U-Net or AstroNet); default: the shipped "
                    "model of --target (deep21_tf/pretrained/, see its MODEL_CARD.md).")
flags.DEFINE_enum("target", None, list(PREDICTION_TARGETS), "What to predict: density (δ, a U-Net) or parameters "
                  "(AstroNet); default: what --model_dir's model predicts, or density without --model_dir.")
flags.DEFINE_string("input", None, "21 cm map(s) in mK: .npy, .npz or .h5/.hdf5; or a FITS image (.fits) in K or mK.")
flags.DEFINE_string("key", None, "Array name in an .npz, or dataset path in an .h5, when it holds several.")
flags.DEFINE_string("output", None, "Where the prediction goes: .npy (U-Net δ; .fits for a FITS input, under its "
                    "header) or .json (AstroNet parameters).")
flags.DEFINE_string("png", None, "Optional PNG of the first map and its prediction.")
flags.DEFINE_bool("tta", False, "Average the predictions over the 8 D4 transforms and write their std.")
flags.DEFINE_float("cell_size", None, "Pixel size of your maps in Mpc (checked against the training maps'); a FITS "
                   "input's comes from its WCS header.")
flags.DEFINE_float("redshift", None, "Redshift of a FITS input (default: its REDSHIFT card or FREQ axis).")
flags.DEFINE_integer("batch_size", INFERENCE_BATCH_SIZE, "Maps per prediction batch.", lower_bound=1)
flags.mark_flags_as_required(["input", "output"])


def warn(message: str) -> None:
    print(f"{PROGRAM}: warning: {message}", file=sys.stderr)


def main(argv):
    def work():
        from deep21_tf.predict import choose_model, run_prediction

        model_dir, note = choose_model(FLAGS.model_dir, FLAGS.target)
        if note:
            print(f"{PROGRAM}: {note}", file=sys.stderr)
        return run_prediction(model_dir, FLAGS.input, FLAGS.output, key=FLAGS.key, png=FLAGS.png,
                              tta=FLAGS.tta, cell_size=FLAGS.cell_size, batch_size=FLAGS.batch_size, warn=warn,
                              redshift=FLAGS.redshift, say=print)

    return run_work(PROGRAM, argv, work, start_tensorflow=False)

def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
