"""The whole job in one driver: simulate → tfds build → train U-Net → evaluate → AstroNet (frozen and trainable
encoder) → evaluate → saliency → [learning curve] → [redshift study across datasets] → REPORT.md. Each stage is
the same command a user would type; a stage whose output is complete is skipped, so a second run is fast and a
killed one resumes. Where each stage writes: `deep21_tf.driver.layout`.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import time
from typing import Callable, List, Sequence

from deep21_tf.contracts import TRANSFER_ENCODERS
from deep21_tf.driver.report import write_report
from deep21_tf.driver.layout import (CURVE_FILE, SALIENCY_FILE, SALIENCY_SUBDIR, STUDY_FILE, TIMES_FILE,
                                  RunLayout, metrics_path, read_json)
from deep21_tf.simulation.manifest import manifest_path, read_manifest
from deep21_tf.simulation.storage import incompleteness, simulation_path
from deep21_tf.training import model_dir
from deep21_tf.util.atomic import atomic_write_text
from deep21_tf.util.paths import BUILDER_SOURCE_DIR
from deep21_tf.util.quiet import call_quietly


@dataclasses.dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a command and the test that says its output is already complete."""

    name: str
    command: List[str]
    done: Callable[[], bool]
    starts_tensorflow_loudly: bool = False  # a program whose TensorFlow start-up lines the driver filters out


@dataclasses.dataclass(frozen=True)
class PipelineSettings:
    """Where the run goes and which presets it uses (paths relative to the repository or absolute).

    `datasets`: one dataset config (models in RUN_DIR), or several — a redshift study: the models of each in
    RUN_DIR/{dataset}, then a comparison across them.
    """

    run_dir: str
    simulate_flagfile: str = "flags/tiny.flags"
    train_flagfile: str = "flags/train_tiny.flags"
    datasets: Sequence[str] = ("z15",)
    simulate_args: Sequence[str] = ()
    train_args: Sequence[str] = ()
    tta: bool = True
    astro_encoders: Sequence[str] = TRANSFER_ENCODERS
    astro_args: Sequence[str] = ()  # extra deep21-train flags for AstroNet, e.g. --epochs=20 (the paper's)
    learning_curve: Sequence[float] = ()  # fractions of the training simulations for extra U-Nets

    @property
    def layout(self) -> RunLayout:
        return RunLayout(self.run_dir, tuple(self.datasets))


def suite_is_complete(suite_dir: str) -> bool:
    """True when the suite has a manifest and every simulation in it has a complete file."""
    if not os.path.isfile(manifest_path(suite_dir)):
        return False
    config, design = read_manifest(suite_dir)
    return all(incompleteness(simulation_path(suite_dir, spec), spec, config) is None for spec in design)


def _module(name: str) -> List[str]:
    return [sys.executable, "-m", name]


def _file(path: str) -> Callable[[], bool]:
    return lambda: os.path.isfile(path)


def stages(settings: PipelineSettings) -> List[Stage]:
    """The pipeline's stages in order."""
    layout = settings.layout
    result = [Stage("simulate", [*_module("deep21_tf.apps.simulate"), f"--flagfile={settings.simulate_flagfile}",
                                 f"--suite_dir={layout.suite}", *settings.simulate_args],
                    lambda: suite_is_complete(layout.suite))]
    for dataset in layout.datasets:
        result.append(Stage(f"tfds build{_suffix(layout, dataset)}",
                            [*_module("tensorflow_datasets.scripts.cli.main"), "build", BUILDER_SOURCE_DIR,
                             f"--manual_dir={layout.suite}", f"--data_dir={layout.data_dir}", f"--config={dataset}"],
                            lambda dataset=dataset: os.path.isdir(os.path.join(layout.data_dir, "hi21cm", dataset)),
                            starts_tensorflow_loudly=True))
    for dataset in layout.datasets:
        result += _model_stages(settings, dataset)
    if layout.is_study:
        result.append(Stage("redshift study", [*_module("deep21_tf.apps.redshift_study"), f"--run_dir={settings.run_dir}",
                                               f"--datasets={','.join(layout.datasets)}",
                                               *[f"--astro_encoder={e}" for e in settings.astro_encoders[-1:]]],
                            _file(layout.path(STUDY_FILE))))
    return result


def _suffix(layout: RunLayout, dataset: str) -> str:
    """What tells a stage of `dataset` from the same stage of another redshift in a study (nothing otherwise)."""
    return f" [{dataset}]" if layout.is_study else ""


def _model_stages(settings: PipelineSettings, dataset: str) -> List[Stage]:
    """Train and evaluate the U-Net, the AstroNets, their saliency and the learning curve of one dataset."""
    layout, suffix = settings.layout, _suffix(settings.layout, dataset)
    train = [*_module("deep21_tf.apps.train"), f"--flagfile={settings.train_flagfile}", f"--data_dir={layout.data_dir}",
             f"--dataset={dataset}", *settings.train_args]
    evaluate = [*_module("deep21_tf.apps.evaluate"), f"--data_dir={layout.data_dir}"]
    tta = ["--tta"] if settings.tta else []
    unet = layout.unet(dataset)
    result = [
        Stage(f"train U-Net{suffix}", [*train, f"--model_dir={unet}"], lambda: model_dir.is_finished(unet)),
        Stage(f"evaluate U-Net{suffix}", [*evaluate, f"--model_dir={unet}", *tta], _file(metrics_path(unet))),
    ]
    for encoder in settings.astro_encoders:
        astro = layout.astro(dataset, encoder)
        result += [
            Stage(f"train AstroNet ({encoder} encoder){suffix}",
                  [*train, "--model=astro", f"--encoder={encoder}", f"--unet_dir={unet}", f"--model_dir={astro}",
                   *settings.astro_args],
                  lambda astro=astro: model_dir.is_finished(astro)),
            Stage(f"evaluate AstroNet ({encoder} encoder){suffix}", [*evaluate, f"--model_dir={astro}", *tta],
                  _file(metrics_path(astro))),
        ]
    if settings.astro_encoders:
        astro = layout.astro(dataset, settings.astro_encoders[-1])
        result.append(Stage(f"saliency{suffix}", [*_module("deep21_tf.apps.saliency"), f"--model_dir={astro}",
                                                  f"--data_dir={layout.data_dir}"],
                            _file(os.path.join(astro, SALIENCY_SUBDIR, SALIENCY_FILE))))
    curve_dirs = [layout.curve_unet(dataset, fraction) for fraction in settings.learning_curve]
    for fraction, curve_dir in zip(settings.learning_curve, curve_dirs):
        result += [
            Stage(f"train U-Net ({fraction:g} of the training simulations){suffix}",
                  [*train, f"--train_fraction={fraction:g}", f"--model_dir={curve_dir}"],
                  lambda curve_dir=curve_dir: model_dir.is_finished(curve_dir)),
            Stage(f"evaluate U-Net ({fraction:g} of the training simulations){suffix}",
                  [*evaluate, f"--model_dir={curve_dir}"], _file(metrics_path(curve_dir))),
        ]
    if curve_dirs:
        models = layout.models(dataset)
        result.append(Stage(f"learning curve{suffix}", [*_module("deep21_tf.apps.learning_curve"),
                                                        f"--run_dir={models}",
                                                        *[f"--model_dirs={d}" for d in curve_dirs + [unet]]],
                            _file(os.path.join(models, CURVE_FILE))))
    return result


def run_pipeline(settings: PipelineSettings, log: Callable[[str], None] = print) -> dict:
    """Run every stage that is not complete yet, then write REPORT.md; return {stage name: seconds} of the
    stages' last runs that did work.

    Raises RuntimeError naming the stage (and its exit status) when a stage fails; later stages do not run.
    """
    os.makedirs(settings.run_dir, exist_ok=True)
    times_path = settings.layout.path(TIMES_FILE)
    times = read_json(times_path, required=False) or {}
    for stage in stages(settings):
        if stage.done():
            log(f"[skip] {stage.name}: already complete")
            continue
        log(f"[run ] {stage.name}: {' '.join(stage.command)}")
        start = time.perf_counter()
        status = call_quietly(stage.command) if stage.starts_tensorflow_loudly else subprocess.call(stage.command)
        if status != 0:
            raise RuntimeError(f"stage '{stage.name}' failed with exit status {status}: {' '.join(stage.command)}")
        times[stage.name] = round(time.perf_counter() - start, 1)
        atomic_write_text(times_path, json.dumps(times, indent=1))
    log(f"[done] report: {write_report(settings.layout, times)}")
    return times
