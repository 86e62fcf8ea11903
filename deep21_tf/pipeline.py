"""The whole job in one driver: simulate → tfds build → train U-Net → evaluate → AstroNet (frozen and trainable
encoder) → evaluate → saliency → REPORT.md. Each stage is the same command a user would type; a stage whose
output is complete is skipped, so a second run is fast and a killed one resumes.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from typing import Callable, List, Sequence

from deep21_tf.learning_curve import CURVE_FILE
from deep21_tf.report import write_report
from deep21_tf.simulation.manifest import manifest_path, read_manifest
from deep21_tf.simulation.storage import incompleteness, simulation_path
from deep21_tf.training import model_dir as layout
from deep21_tf.util.atomic import atomic_write_text
from deep21_tf.util.paths import BUILDER_SOURCE_DIR

TIMES_FILE = "stage_times.json"


@dataclasses.dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a command and the test that says its output is already complete."""

    name: str
    command: List[str]
    done: Callable[[], bool]


@dataclasses.dataclass(frozen=True)
class PipelineSettings:
    """Where the run goes and which presets it uses (paths relative to the repository or absolute)."""

    run_dir: str
    simulate_flagfile: str = "flags/tiny.flags"
    train_flagfile: str = "flags/train_tiny.flags"
    dataset: str = "z15"
    simulate_args: Sequence[str] = ()
    train_args: Sequence[str] = ()
    tta: bool = True
    astro_encoders: Sequence[str] = ("frozen", "trainable")
    astro_args: Sequence[str] = ()  # extra deep21-train flags for AstroNet, e.g. --epochs=20 (the paper's)
    learning_curve: Sequence[float] = ()  # fractions of the training simulations for extra U-Nets

    def path(self, *parts: str) -> str:
        return os.path.join(self.run_dir, *parts)


def suite_is_complete(suite_dir: str) -> bool:
    """True when the suite has a manifest and every simulation in it has a complete file."""
    if not os.path.isfile(manifest_path(suite_dir)):
        return False
    config, design = read_manifest(suite_dir)
    return all(incompleteness(simulation_path(suite_dir, spec), spec, config) is None for spec in design)


def _module(name: str) -> List[str]:
    return [sys.executable, "-m", name]


def _file(*parts: str) -> Callable[[], bool]:
    return lambda: os.path.isfile(os.path.join(*parts))


def stages(s: PipelineSettings) -> List[Stage]:
    """The pipeline's stages in order."""
    suite, data = s.path("suite"), s.path("tfds")
    unet = s.path("unet")
    train = [*_module("deep21_tf.apps.train"), f"--flagfile={s.train_flagfile}", f"--data_dir={data}",
             f"--dataset={s.dataset}", *s.train_args]
    tta = ["--tta"] if s.tta else []
    result = [
        Stage("simulate", [*_module("deep21_tf.apps.simulate"), f"--flagfile={s.simulate_flagfile}",
                           f"--suite_dir={suite}", *s.simulate_args], lambda: suite_is_complete(suite)),
        Stage("tfds build", [*_module("tensorflow_datasets.scripts.cli.main"), "build", BUILDER_SOURCE_DIR,
                             f"--manual_dir={suite}", f"--data_dir={data}", f"--config={s.dataset}"],
              lambda: os.path.isdir(os.path.join(data, "hi21cm", s.dataset))),
        Stage("train U-Net", [*train, f"--model_dir={unet}"], lambda: layout.is_finished(unet)),
        Stage("evaluate U-Net", [*_module("deep21_tf.apps.evaluate"), f"--model_dir={unet}", f"--data_dir={data}",
                                 *tta], _file(unet, "evaluation", "metrics.json")),
    ]
    for encoder in s.astro_encoders:
        astro = s.path(f"astro_{encoder}")
        result += [
            Stage(f"train AstroNet ({encoder} encoder)", [*train, "--model=astro", f"--encoder={encoder}",
                                                          f"--unet_dir={unet}", f"--model_dir={astro}",
                                                          *s.astro_args],
                  lambda astro=astro: layout.is_finished(astro)),
            Stage(f"evaluate AstroNet ({encoder} encoder)", [*_module("deep21_tf.apps.evaluate"),
                                                              f"--model_dir={astro}", f"--data_dir={data}", *tta],
                  _file(astro, "evaluation", "metrics.json")),
        ]
    if s.astro_encoders:
        astro = s.path(f"astro_{s.astro_encoders[-1]}")
        result.append(Stage("saliency", [*_module("deep21_tf.apps.saliency"), f"--model_dir={astro}",
                                         f"--data_dir={data}"], _file(astro, "saliency", "saliency.npz")))
    curve_dirs = [s.path(curve_dir_name(fraction)) for fraction in s.learning_curve]
    for fraction, curve_dir in zip(s.learning_curve, curve_dirs):
        result += [
            Stage(f"train U-Net ({fraction:g} of the training simulations)",
                  [*train, f"--train_fraction={fraction:g}", f"--model_dir={curve_dir}"],
                  lambda curve_dir=curve_dir: layout.is_finished(curve_dir)),
            Stage(f"evaluate U-Net ({fraction:g} of the training simulations)",
                  [*_module("deep21_tf.apps.evaluate"), f"--model_dir={curve_dir}", f"--data_dir={data}"],
                  _file(curve_dir, "evaluation", "metrics.json")),
        ]
    if curve_dirs:
        result.append(Stage("learning curve", [*_module("deep21_tf.apps.learning_curve"), f"--run_dir={s.run_dir}",
                                               *[f"--model_dirs={d}" for d in curve_dirs + [unet]]],
                            _file(s.run_dir, CURVE_FILE)))
    return result


def curve_dir_name(fraction: float) -> str:
    """Model directory of the learning curve's U-Net trained on `fraction` of the training simulations."""
    return f"unet_train{fraction:g}"


def run_pipeline(s: PipelineSettings, log: Callable[[str], None] = print) -> dict:
    """Run every stage that is not complete yet, then write REPORT.md; return {stage name: seconds} of the
    stages' last runs that did work.

    Raises RuntimeError naming the stage (and its exit status) when a stage fails; later stages do not run.
    """
    os.makedirs(s.run_dir, exist_ok=True)
    times_path = s.path(TIMES_FILE)
    times = json.load(open(times_path, encoding="utf-8")) if os.path.isfile(times_path) else {}
    for stage in stages(s):
        if stage.done():
            log(f"[skip] {stage.name}: already complete")
            continue
        log(f"[run ] {stage.name}: {' '.join(stage.command)}")
        start = time.perf_counter()
        status = subprocess.call(stage.command)
        if status != 0:
            raise RuntimeError(f"stage '{stage.name}' failed with exit status {status}: {' '.join(stage.command)}")
        times[stage.name] = round(time.perf_counter() - start, 1)
        atomic_write_text(times_path, json.dumps(times, indent=1))
    log(f"[done] report: {write_report(s.run_dir, times)}")
    return times
