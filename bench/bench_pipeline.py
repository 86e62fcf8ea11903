"""Benchmark of the tf.data pipeline: throughput with D4 augmentation, and peak memory vs dataset size.

  python bench/bench_pipeline.py --work_dir=/tmp/bench_pipeline            # 200² maps, 10 and 100 simulations
  python bench/bench_pipeline.py --work_dir=/tmp/bp --hii_dim=32 --num_sims=3 --factor=2 --seconds=2   # smoke run

1. Writes synthetic suites in the simulation stage's format (random maps: file layout and sizes are real,
   physics is not; a 200³ 21cmFAST run takes ~30 min) with `num_sims` and `factor × num_sims` simulations,
   and builds each with the real TFDS builder (Beam's in-process FnApiRunner, as the pipeline does). Suites and
   datasets are reused if present.
2. Throughput: examples/s of `make_dataset(..., augment="random")` (train split, shuffled, repeated), against
   the U-Net's training consumption rate `--unet_maps_per_s` (goal: pipeline ≥ 20× faster).
3. Memory: peak RSS of a fresh process iterating the same number of examples (the larger train split's) from
   each dataset (goal: the larger within 10 %).
Prints figures; asserts nothing timed.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import tensorflow_datasets as tfds
from absl import app, flags
from apache_beam.options.pipeline_options import PipelineOptions

from deep21_tf.contracts import LOCAL_BEAM_RUNNER
from deep21_tf.data import Hi21cm, make_dataset
from deep21_tf.data.synthetic import write_synthetic_suite
from deep21_tf.simulation.config import SuiteConfig
from peak_memory import peak_rss_mib  # bench/ is on sys.path

FLAGS = flags.FLAGS
flags.DEFINE_string("work_dir", None, "Directory for the synthetic suites and the TFDS data dir.")
flags.DEFINE_integer("hii_dim", 200, "Map side in cells (paper: 200); cells are 1.5 Mpc.", lower_bound=32)
flags.DEFINE_integer("num_sims", 10, "Simulations of the 1x suite (>= 3).", lower_bound=3)
flags.DEFINE_integer("factor", 10, "The larger suite has factor x num_sims simulations.", lower_bound=2)
flags.DEFINE_integer("batch_size", 30, "Batch size (paper: 30).", lower_bound=1)
flags.DEFINE_integer("shuffle_buffer", 100, "Shuffle buffer (examples); keep it below the 1x train split size.",
                     lower_bound=0)
flags.DEFINE_float("seconds", 30.0, "Duration of the throughput measurement.")
flags.DEFINE_float("unet_maps_per_s", 0.9,
                   "U-Net training consumption at this map size (~2 maps/s at 200² on 2 cores, BUILD_NOTES.md).")
flags.DEFINE_string("iterate", None, "Internal: iterate this data dir and print the peak RSS as JSON.")
flags.DEFINE_integer("iterate_examples", 0, "Internal: how many examples --iterate consumes.")
flags.mark_flag_as_required("work_dir")

CONFIG_NAME = "z15"


def build_dataset(num_sims: int) -> str:
    """TFDS data dir of a synthetic suite of `num_sims` simulations at --hii_dim (built once, then reused)."""
    root = os.path.join(FLAGS.work_dir, f"{FLAGS.hii_dim}px_{num_sims}sims")
    suite_dir, data_dir = os.path.join(root, "suite"), os.path.join(root, "tfds")
    if os.path.isdir(os.path.join(data_dir, "hi21cm", CONFIG_NAME)):
        return data_dir
    config = SuiteConfig(num_sims=num_sims, hii_dim=FLAGS.hii_dim, box_len=1.5 * FLAGS.hii_dim, redshifts=(15.0,))
    os.makedirs(suite_dir, exist_ok=True)
    write_synthetic_suite(suite_dir, config)
    Hi21cm(data_dir=data_dir, config=CONFIG_NAME).download_and_prepare(
        download_config=tfds.download.DownloadConfig(manual_dir=suite_dir,
                                                     beam_options=PipelineOptions([f"--runner={LOCAL_BEAM_RUNNER}"])))
    return data_dir


def training_batches(data_dir: str):
    """The augmented, shuffled train pipeline as training reads it, one pass repeated without end."""
    return make_dataset(data_dir, CONFIG_NAME, "train", augment="random", batch_size=FLAGS.batch_size,
                        shuffle_buffer=FLAGS.shuffle_buffer).repeat()


def throughput(data_dir: str) -> float:
    """Examples/s of the augmented, shuffled, repeated train pipeline (after 3 warm-up batches)."""
    batches = iter(training_batches(data_dir))
    for _ in range(3):
        next(batches)
    examples, start = 0, time.perf_counter()
    while time.perf_counter() - start < FLAGS.seconds:
        examples += int(next(batches)[0].shape[0])
    return examples / (time.perf_counter() - start)


def iterate(data_dir: str, num_examples: int) -> dict:
    """Iterate the augmented train pipeline (repeated) for `num_examples` examples; peak RSS (MiB)."""
    examples = 0
    for x, _ in training_batches(data_dir):
        examples += int(x.shape[0])
        if examples >= num_examples:
            break
    return {"examples": examples, "peak_rss_mib": peak_rss_mib()}


def peak_rss_in_fresh_process(data_dir: str, num_examples: int) -> dict:
    """`iterate` in a new Python process, so earlier work does not inflate its peak."""
    args = [sys.executable, os.path.abspath(__file__), f"--iterate={data_dir}", f"--iterate_examples={num_examples}"]
    args += [f"--{name}={FLAGS[name].value}" for name in ("work_dir", "batch_size", "shuffle_buffer")]
    result = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv):
    del argv
    if FLAGS.iterate:
        print(json.dumps(iterate(FLAGS.iterate, FLAGS.iterate_examples)))
        return
    small, large = build_dataset(FLAGS.num_sims), build_dataset(FLAGS.factor * FLAGS.num_sims)
    rate = throughput(small)
    print(f"pipeline throughput ({FLAGS.hii_dim}² maps, random D4, batch {FLAGS.batch_size}, "
          f"shuffle {FLAGS.shuffle_buffer}): {rate:.1f} examples/s")
    print(f"  vs U-Net consumption {FLAGS.unet_maps_per_s:g} maps/s: {rate / FLAGS.unet_maps_per_s:.0f}x (goal >= 20x)")
    # Both iterate the larger train split's size: tf.data's autotuning grows its buffers with the number of
    # examples produced, whatever the dataset, so equal counts isolate the effect of the dataset's size.
    examples = tfds.builder_from_directory(os.path.join(large, "hi21cm", CONFIG_NAME, "1.1.0")).info.splits[
        "train"].num_examples
    peaks = [peak_rss_in_fresh_process(data_dir, examples) for data_dir in (small, large)]
    for label, peak in zip(("1x", f"{FLAGS.factor}x"), peaks):
        print(f"peak RSS iterating {peak['examples']} train examples, {label} simulations: "
              f"{peak['peak_rss_mib']:.0f} MiB")
    print(f"  ratio {peaks[1]['peak_rss_mib'] / peaks[0]['peak_rss_mib']:.3f} (goal <= 1.10)")


if __name__ == "__main__":
    app.run(main)
