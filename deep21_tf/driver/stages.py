"""The whole job in one driver: simulate → tfds build → train U-Net → evaluate → AstroNet (frozen and trainable
encoder) → evaluate → saliency → [learning curve] → [redshift study across datasets] → REPORT.md. Each stage is
the same command a user would type. A stage is skipped when its output is complete and was made with the same
settings, inputs and package version (`driver.records`, `driver.plan`), so a second run is fast, a killed one
resumes and a changed setting reruns what it affects — or, for the suite and trained networks, stops and asks.
Where each stage writes: `deep21_tf.driver.layout`.
"""
from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
import time
from typing import Callable, List, Sequence, Tuple

from deep21_tf.apps.common import check_choices
from deep21_tf.apps.presets import flagfile
from deep21_tf.contracts import BUILDER_MODULE, DATASET_NAME, DEFAULT_DATASET, LOCAL_BEAM_RUNNER, TRANSFER_ENCODERS
from deep21_tf.driver.layout import CURVE_FILE, RECORDS_FILE, STUDY_FILE, TIMES_FILE, RunLayout
from deep21_tf.driver.plan import ADOPT, SKIP, Decision, Stage, plan, refusal, rerun_choices
from deep21_tf.driver.records import read_records, store_record
from deep21_tf.driver.report import write_report
from deep21_tf.evaluation.files import metrics_path
from deep21_tf.saliency_files import saliency_path
from deep21_tf.simulation.manifest import manifest_path, read_manifest
from deep21_tf.simulation.storage import incompleteness, simulation_path
from deep21_tf.training import run_files
from deep21_tf.util.atomic import atomic_write_text
from deep21_tf.util.json_file import read_json
from deep21_tf.util.quiet import call_quietly

TFDS_CLI = "tensorflow_datasets.scripts.cli.main"
TFDS_BEAM_OPTIONS = f"--beam_pipeline_options=runner={LOCAL_BEAM_RUNNER}"


@dataclasses.dataclass(frozen=True)
class PipelineSettings:
    """Where the run goes, which presets it uses (flagfile paths, or names of shipped presets: `apps.presets`),
    and what may be rerun.

    `datasets`: one dataset config (models in RUN_DIR), or several — a redshift study: the models of each in
    RUN_DIR/{dataset}, then a comparison across them. `rerun`: stages to rerun even if unchanged, with every stage
    after them; `rerun_changed`: consent to rerun the suite or a trained network whose settings or inputs changed;
    `adopt`: keep outputs that have no record (older runs) or whose record differs only in the package version.
    """

    run_dir: str
    simulate_flagfile: str = "tiny"
    train_flagfile: str = "train_tiny"
    datasets: Sequence[str] = (DEFAULT_DATASET,)
    simulate_args: Sequence[str] = ()
    train_args: Sequence[str] = ()
    tta: bool = True
    astro_encoders: Sequence[str] = TRANSFER_ENCODERS
    astro_args: Sequence[str] = ()  # extra deep21-train flags for AstroNet, e.g. --epochs=20 (the paper's)
    learning_curve: Sequence[float] = ()  # fractions of the training simulations for extra U-Nets
    rerun: Sequence[str] = ()
    rerun_changed: bool = False
    adopt: bool = False

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


def stages(settings: PipelineSettings) -> List[Stage]:
    """The pipeline's stages in order. ValueError names a flagfile that is neither a file nor a preset."""
    layout = settings.layout
    suite_manifest = manifest_path(layout.suite)
    simulate_flags = flagfile("simulate_flagfile", settings.simulate_flagfile)
    result = [Stage("simulate", [*_module("deep21_tf.apps.simulate"), f"--flagfile={simulate_flags}",
                                 f"--suite_dir={layout.suite}", *settings.simulate_args],
                    output=layout.suite, product=suite_manifest, complete=lambda: suite_is_complete(layout.suite),
                    protected=True, self_checking=True)]
    for dataset in layout.datasets:
        result.append(Stage(f"tfds build{_suffix(layout, dataset)}",
                            [*_module(TFDS_CLI), "build", DATASET_NAME, f"--imports={BUILDER_MODULE}",
                             f"--manual_dir={layout.suite}", f"--data_dir={layout.data_dir}", f"--config={dataset}",
                             TFDS_BEAM_OPTIONS],
                            output=layout.dataset_config_dir(dataset), product=layout.dataset_metadata(dataset),
                            reads=(suite_manifest,), starts_tensorflow_loudly=True))
    for dataset in layout.datasets:
        result += _model_stages(settings, dataset)
    if layout.is_study:
        encoders = settings.astro_encoders[-1:]
        reads = [metrics_path(layout.unet(d)) for d in layout.datasets]
        for dataset, encoder in ((d, e) for d in layout.datasets for e in encoders):
            astro = layout.astro(dataset, encoder)
            reads += [metrics_path(astro), saliency_path(astro)]
        study = layout.path(STUDY_FILE)
        result.append(Stage("redshift study", [*_module("deep21_tf.apps.redshift_study"), f"--run_dir={settings.run_dir}",
                                               f"--datasets={','.join(layout.datasets)}",
                                               *[f"--astro_encoder={e}" for e in encoders]],
                            output=study, product=study, reads=tuple(reads)))
    return result


def _suffix(layout: RunLayout, dataset: str) -> str:
    """What tells a stage of `dataset` from the same stage of another redshift in a study (nothing otherwise)."""
    return f" [{dataset}]" if layout.is_study else ""


def _trained(name: str, command: List[str], model: str, reads: Sequence[str]) -> Stage:
    """A deep21-train stage writing the model directory `model` (protected: a trained network)."""
    return Stage(name, command, output=model, product=run_files.path(model, run_files.EXPORTED_FILE),
                 reads=tuple(reads), protected=True)


def _evaluated(name: str, command: List[str], model: str, dataset_metadata: str) -> Stage:
    """A deep21-evaluate stage writing MODEL/evaluation/."""
    metrics = metrics_path(model)
    return Stage(name, command, output=os.path.dirname(metrics), product=metrics,
                 reads=(run_files.path(model, run_files.EXPORTED_FILE), dataset_metadata))


def _model_stages(settings: PipelineSettings, dataset: str) -> List[Stage]:
    """Train and evaluate the U-Net, the AstroNets, their saliency and the learning curve of one dataset."""
    layout, suffix = settings.layout, _suffix(settings.layout, dataset)
    data = layout.dataset_metadata(dataset)
    train = [*_module("deep21_tf.apps.train"), f"--flagfile={flagfile('train_flagfile', settings.train_flagfile)}",
             f"--data_dir={layout.data_dir}", f"--dataset={dataset}", *settings.train_args]
    evaluate = [*_module("deep21_tf.apps.evaluate"), f"--data_dir={layout.data_dir}"]
    tta = ["--tta"] if settings.tta else []
    unet = layout.unet(dataset)
    unet_model = run_files.path(unet, run_files.EXPORTED_FILE)
    result = [_trained(f"train U-Net{suffix}", [*train, f"--model_dir={unet}"], unet, [data]),
              _evaluated(f"evaluate U-Net{suffix}", [*evaluate, f"--model_dir={unet}", *tta], unet, data)]
    for encoder in settings.astro_encoders:
        astro = layout.astro(dataset, encoder)
        result += [
            _trained(f"train AstroNet ({encoder} encoder){suffix}",
                     [*train, "--model=astro", f"--encoder={encoder}", f"--unet_dir={unet}", f"--model_dir={astro}",
                      *settings.astro_args], astro, [data, unet_model]),
            _evaluated(f"evaluate AstroNet ({encoder} encoder){suffix}", [*evaluate, f"--model_dir={astro}", *tta],
                       astro, data),
        ]
    if settings.astro_encoders:
        astro = layout.astro(dataset, settings.astro_encoders[-1])
        saliency = saliency_path(astro)
        result.append(Stage(f"saliency{suffix}", [*_module("deep21_tf.apps.saliency"), f"--model_dir={astro}",
                                                  f"--data_dir={layout.data_dir}"],
                            output=os.path.dirname(saliency), product=saliency,
                            reads=(run_files.path(astro, run_files.EXPORTED_FILE), data)))
    curve_dirs = [layout.curve_unet(dataset, fraction) for fraction in settings.learning_curve]
    for fraction, curve_dir in zip(settings.learning_curve, curve_dirs):
        result += [
            _trained(f"train U-Net ({fraction:g} of the training simulations){suffix}",
                     [*train, f"--train_fraction={fraction:g}", f"--model_dir={curve_dir}"], curve_dir, [data]),
            _evaluated(f"evaluate U-Net ({fraction:g} of the training simulations){suffix}",
                       [*evaluate, f"--model_dir={curve_dir}"], curve_dir, data),
        ]
    if curve_dirs:
        models = layout.models(dataset)
        curve = os.path.join(models, CURVE_FILE)
        result.append(Stage(f"learning curve{suffix}", [*_module("deep21_tf.apps.learning_curve"),
                                                        f"--run_dir={models}",
                                                        *[f"--model_dirs={d}" for d in curve_dirs + [unet]]],
                            output=curve, product=curve, reads=tuple(metrics_path(d) for d in curve_dirs + [unet])))
    return result


def _remove(path: str) -> None:
    """Delete the file or folder a stage is about to remake."""
    if os.path.isdir(path):
        shutil.rmtree(path)
    elif os.path.exists(path):
        os.remove(path)


def run_pipeline(settings: PipelineSettings, log: Callable[[str], None] = print) -> dict:
    """Run every stage that is not complete and current (`run_stages`), then write REPORT.md (what ran, what was
    reused); return {stage name: seconds} of the stages' last runs that did work."""
    times, decisions = run_stages(stages(settings), settings.run_dir, rerun=settings.rerun,
                                  rerun_changed=settings.rerun_changed, adopt=settings.adopt, log=log)
    log(f"[done] report: {write_report(settings.layout, times, {d.stage.name: d.summary() for d in decisions})}")
    return times


def run_stages(all_stages: Sequence[Stage], run_dir: str, rerun: Sequence[str] = (), rerun_changed: bool = False,
               adopt: bool = False, log: Callable[[str], None] = print) -> Tuple[dict, List[Decision]]:
    """Plan the stages (`driver.plan`), then skip, adopt or run each in order; return ({stage: seconds of its last
    run}, the decisions). A run drops the stage's record first and records it when the command succeeds.

    Raises ValueError — before anything is written — for a --rerun that names no stage, or when a protected stage
    would be rerun without consent (`driver.plan.refusal`); RuntimeError naming the stage (and its exit status)
    when a stage fails: later stages do not run.
    """
    check_choices("rerun", list(rerun), rerun_choices(all_stages))
    records_path = os.path.join(run_dir, RECORDS_FILE)
    decisions = plan(all_stages, read_records(records_path), run_dir, rerun, rerun_changed, adopt)
    problem = refusal(decisions)
    if problem:
        raise ValueError(problem)
    os.makedirs(run_dir, exist_ok=True)
    times_path = os.path.join(run_dir, TIMES_FILE)
    times = read_json(times_path, required=False) or {}
    for decision in decisions:
        stage = decision.stage
        if decision.action == SKIP:
            log(f"[skip] {stage.name}: unchanged")
            continue
        if decision.action == ADOPT:
            store_record(records_path, stage.name, stage.record(run_dir))
            log(f"[adopt] {stage.name}: kept as it is ({'; '.join(decision.reasons)})")
            continue
        log(f"[run ] {stage.name} ({'; '.join(decision.reasons)}): {' '.join(stage.command)}")
        store_record(records_path, stage.name, None)
        if decision.clear:
            _remove(stage.output)
        start = time.perf_counter()
        status = call_quietly(stage.command) if stage.starts_tensorflow_loudly else subprocess.call(stage.command)
        if status != 0:
            raise RuntimeError(f"stage '{stage.name}' failed with exit status {status}: {' '.join(stage.command)}")
        times[stage.name] = round(time.perf_counter() - start, 1)
        atomic_write_text(times_path, json.dumps(times, indent=1))
        store_record(records_path, stage.name, stage.record(run_dir))
    return times, decisions
