"""deep21-train: train the U-Net (21 cm → δ) or AstroNet (21 cm → parameters) under tf.distribute.

  deep21-train --flagfile=flags/train_tiny.flags --data_dir=DATA_DIR --model_dir=runs/demo/unet
  deep21-train --flagfile=flags/train_tiny.flags --data_dir=DATA_DIR --model=astro --encoder=frozen \
      --unet_dir=runs/demo/unet --model_dir=runs/demo/astro_frozen

Watch it with `tensorboard --logdir MODEL_DIR/logs`. Re-running a killed command resumes it.
"""
from __future__ import annotations

import dataclasses
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import run_work  # noqa: E402
from deep21_tf.contracts import ENCODERS, MODEL_KINDS  # noqa: E402
from deep21_tf.training.settings import TrainSettings  # noqa: E402

PROGRAM = "deep21-train"
FLAGS = flags.FLAGS
HELP = {
    "data_dir": "TFDS data dir of `tfds build datasets/hi21cm`.",
    "dataset": "Builder config: z10, z15, z20 or all_z.",
    "model": "unet (21 cm → δ) or astro (21 cm → log10 parameters).",
    "encoder": "AstroNet's encoder: frozen or trainable (loaded from --unet_dir), or scratch.",
    "unet_dir": "Model dir of a trained U-Net (for --encoder=frozen|trainable).",
    "base_filters": "Width of the first block (paper: 64).",
    "epochs": "Training epochs.",
    "batch_size": "Maps per replica per step (global batch = batch_size × replicas).",
    "learning_rate": "Adam learning rate.",
    "beta_1": "Adam β1.",
    "beta_2": "Adam β2.",
    "adam_epsilon": "Adam ε (PyTorch's default 1e-8, the paper's framework; Keras' default is 1e-7).",
    "weight_decay": "Coupled L2 weight decay (PyTorch Adam's weight_decay): (wd/2)·Σw² added to the loss.",
    "lr_factor": "Learning-rate factor at a plateau.",
    "lr_patience": "The learning rate drops after more than this many epochs without a relative improvement of "
                   "1e-4 in the validation MSE (PyTorch's ReduceLROnPlateau).",
    "dropout": "AstroNet dropout rate.",
    "shuffle_buffer": "Examples in the shuffle buffer.",
    "seed": "Seed of shuffling, augmentation and initial weights.",
    "cpu_replicas": "Without GPUs: MirroredStrategy over this many logical CPU devices.",
    "monitor_maps": "Validation maps followed in TensorBoard (U-Net).",
    "jit_compile": "Compile the train step with XLA (slower on CPUs: bench/bench_training.py).",
    "mixed_precision": "Compute in bfloat16 with float32 weights and outputs (mixed_bfloat16; ~1.6x faster training on "
                       "CPUs with AVX512-BF16, see bench/bench_training.py).",
    "train_fraction": "Train on this fraction of the training simulations (all of their maps), e.g. 0.25 for a "
                      "learning curve; validation and test stay whole.",
}
_DEFINE = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float, str: flags.DEFINE_string}
for _field in dataclasses.fields(TrainSettings):
    _default = None if _field.default is dataclasses.MISSING else _field.default
    _kind = {"model": None, "encoder": None}.get(_field.name, type(_default) if _default is not None else str)
    if _field.name == "model":
        flags.DEFINE_enum("model", _default, MODEL_KINDS, HELP["model"])
    elif _field.name == "encoder":
        flags.DEFINE_enum("encoder", _default, ENCODERS, HELP["encoder"])
    else:
        _DEFINE[_kind](_field.name, _default, HELP[_field.name])
flags.DEFINE_string("model_dir", None, "Where the run writes its checkpoints, logs and exported model.")
flags.DEFINE_bool("overwrite", False, "Replace a finished run (or a run with other settings) in --model_dir.")
flags.mark_flags_as_required(["data_dir", "model_dir"])


def main(argv):
    def work():
        from deep21_tf.training.run import train

        settings = TrainSettings(**{f.name: FLAGS[f.name].value for f in dataclasses.fields(TrainSettings)})
        return train(settings.validate(), FLAGS.model_dir, overwrite=FLAGS.overwrite)

    return run_work(PROGRAM, argv, work)

def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
