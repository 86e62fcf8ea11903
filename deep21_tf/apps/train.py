"""deep21-train: train the U-Net (21 cm → δ) or AstroNet (21 cm → parameters) under tf.distribute.

  deep21-train --flagfile=flags/train_tiny.flags --data_dir=DATA_DIR --model_dir=runs/demo/unet
  deep21-train --flagfile=flags/train_tiny.flags --data_dir=DATA_DIR --model=astro --encoder=frozen \
      --unet_dir=runs/demo/unet --model_dir=runs/demo/astro_frozen

Watch it with `tensorboard --logdir MODEL_DIR/logs`. Re-running a killed command resumes it.
"""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from deep21_tf.apps.common import run_work  # noqa: E402
from deep21_tf.apps.settings_flags import define_settings_flags, settings_from_flags  # noqa: E402
from deep21_tf.contracts import DATASET_CONFIGS, ENCODERS, LR_SCHEDULES, MODEL_KINDS  # noqa: E402
from deep21_tf.instrument.settings import DAILY_HOURS, TELESCOPE_CHOICES  # noqa: E402
from deep21_tf.training.settings import TrainSettings  # noqa: E402
from deep21_tf.util.quiet import start_tensorflow_quietly  # noqa: E402

PROGRAM = "deep21-train"
FLAGS = flags.FLAGS
HELP = {
    "data_dir": "TFDS data dir of `tfds build datasets/hi21cm`.",
    "dataset": "Builder config (redshifts as channels).",
    "model": "unet (21 cm → δ) or astro (21 cm → log10 parameters).",
    "encoder": "AstroNet's encoder: frozen or trainable (loaded from --unet_dir), or scratch.",
    "unet_dir": "Model dir of a trained U-Net (for --encoder=frozen|trainable).",
    "init_from": "Model dir of a trained network of the same kind, dataset redshifts, map size and width: start from "
                 "its weights instead of random ones (fine-tuning, e.g. a noiseless U-Net on observed maps).",
    "base_filters": "Width of the first block (paper: 64).",
    "epochs": "Training epochs.",
    "batch_size": "Maps per replica per step (global batch = batch_size × replicas).",
    "learning_rate": "Adam learning rate.",
    "beta_1": "Adam β1.",
    "beta_2": "Adam β2.",
    "adam_epsilon": "Adam ε (PyTorch's default 1e-8, the paper's framework; Keras' default is 1e-7).",
    "weight_decay": "Coupled L2 weight decay (PyTorch Adam's weight_decay): (wd/2)·Σw² added to the loss.",
    "lr_schedule": "plateau: the paper's (the rate × --lr_factor after a validation plateau of --lr_patience epochs); "
                   "cosine: epoch e of E trains at --learning_rate·(1 + cos(πe/E))/2.",
    "lr_factor": "Learning-rate factor at a plateau.",
    "lr_patience": "The learning rate drops after more than this many epochs without a relative improvement of "
                   "1e-4 in the validation MSE (PyTorch's ReduceLROnPlateau).",
    "dropout": "AstroNet dropout rate.",
    "head_moments": "AstroNet's head also sees each input channel's mean and mean square over the map (the global "
                    "signal, which the paper's head must infer from the encoder's features); off: the paper's head.",
    "remove_map_mean": "AstroNet subtracts each input map's mean (per redshift channel) before anything else, so it "
                       "cannot read the global signal off it — as an interferometer, which has no zero spacing, "
                       "cannot; evaluation's baselines then drop the mean from their features too.",
    "shuffle_buffer": "Examples in the shuffle buffer.",
    "seed": "Seed of shuffling, augmentation and initial weights.",
    "cpu_replicas": "Without GPUs: MirroredStrategy over this many logical CPU devices.",
    "monitor_maps": "Validation maps followed in TensorBoard (U-Net).",
    "jit_compile": "Compile the train step with XLA (slower on CPUs: bench/bench_training.py).",
    "mixed_precision": "Compute in bfloat16 with float32 weights and outputs (mixed_bfloat16; ~1.6x faster training on "
                       "CPUs with AVX512-BF16, see bench/bench_training.py).",
    "train_fraction": "Train on this fraction of the training simulations (all of their maps), e.g. 0.25 for a "
                      "learning curve; validation and test stay whole.",
    "maps_per_epoch": "Maps per epoch, drawn evenly from all training maps (each epoch's draw a function of --seed "
                      "and the epoch), so the budget stays fixed as the suite grows; 0: every training map once.",
    "telescope": "Observe the 21 cm maps through this telescope (SKA-Low stages, tools21cm's layouts): its uv coverage "
                 "and fresh thermal noise per map and epoch; none: the noiseless maps.",
    "obs_hours": f"Total observing time of --telescope in hours ({DAILY_HOURS:g} h a night), > 0.",
}
define_settings_flags(TrainSettings, HELP, enums={"dataset": DATASET_CONFIGS, "model": MODEL_KINDS, "encoder": ENCODERS,
                                                  "lr_schedule": LR_SCHEDULES,
                                                  "telescope": TELESCOPE_CHOICES})
flags.DEFINE_string("model_dir", None, "Where the run writes its checkpoints, logs and exported model.")
flags.DEFINE_bool("overwrite", False, "Replace a finished run (or a run with other settings) in --model_dir.")
flags.mark_flags_as_required(["data_dir", "model_dir"])


def main(argv):
    def work():
        settings = settings_from_flags(TrainSettings, FLAGS).validate()  # bad flags: one line, before TensorFlow
        start_tensorflow_quietly()
        from deep21_tf.training.run import train

        return train(settings, FLAGS.model_dir, overwrite=FLAGS.overwrite)

    return run_work(PROGRAM, argv, work, start_tensorflow=False)

def run():
    """Console-script entry point."""
    app.run(main)


if __name__ == "__main__":
    run()
