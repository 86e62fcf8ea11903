"""The suite manifest (``manifest.json``): the suite's settings and its design, written before any simulation runs."""
from __future__ import annotations

import dataclasses
import json
import os
from typing import List, Tuple

from deep21_tf.simulation.config import ConfigError, SuiteConfig
from deep21_tf.simulation.design import SimulationSpec, draw_design
from deep21_tf.util.atomic import atomic_write_text

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1


class SuiteMismatchError(ConfigError):
    """The suite directory already holds a suite made with different settings."""


def manifest_path(suite_dir: str) -> str:
    """Path of the manifest inside `suite_dir`."""
    return os.path.join(suite_dir, MANIFEST_NAME)


def read_manifest(suite_dir: str) -> Tuple[SuiteConfig, List[SimulationSpec]]:
    """Load (config, design) from `suite_dir`; raise FileNotFoundError when there is no manifest."""
    with open(manifest_path(suite_dir), encoding="utf-8") as handle:
        data = json.load(handle)
    if data.get("format") != MANIFEST_FORMAT:
        raise SuiteMismatchError(f"{manifest_path(suite_dir)} has format {data.get('format')!r}; "
                                 f"this version reads format {MANIFEST_FORMAT}")
    config = SuiteConfig.from_json(data["config"])
    design = [SimulationSpec(**row) for row in data["simulations"]]
    return config, design


def open_or_create_suite(suite_dir: str, config: SuiteConfig) -> List[SimulationSpec]:
    """Return the suite's design, drawing and writing the manifest first if `suite_dir` has none.

    A suite with a design_size is resized when `config` differs from its manifest only in num_sims: the manifest is
    rewritten as that prefix of the same design (files already made stay valid). Raises SuiteMismatchError when
    `suite_dir` holds a suite made with other settings (never mixes two designs).
    """
    config.validate()
    if os.path.exists(manifest_path(suite_dir)):
        existing_config, design = read_manifest(suite_dir)
        if existing_config == config:
            return design
        if existing_config.design_size and dataclasses.replace(existing_config, num_sims=config.num_sims) == config:
            return _resized(suite_dir, config, design)
        differing = {k: (v, getattr(config, k)) for k, v in dataclasses.asdict(existing_config).items()
                     if v != getattr(config, k)}
        details = ", ".join(f"{k}: suite has {old!r}, flags give {new!r}" for k, (old, new) in differing.items())
        raise SuiteMismatchError(f"--suite_dir={suite_dir} already holds a different suite ({details}); "
                                 "use the same flags to resume it, or a new --suite_dir")
    design = draw_design(config)
    os.makedirs(suite_dir, exist_ok=True)
    _write_manifest(suite_dir, config, design)
    return design


def _resized(suite_dir: str, config: SuiteConfig, existing: List[SimulationSpec]) -> List[SimulationSpec]:
    """The design of `config` (another num_sims of the suite's design_size), checked to continue the manifest's, and
    written as the new manifest."""
    design = draw_design(config)
    common = min(len(design), len(existing))
    if design[:common] != existing[:common]:
        raise SuiteMismatchError(f"{manifest_path(suite_dir)}: the design drawn now for num_sims={config.num_sims} "
                                 "does not continue the manifest's (another scipy or numpy version?); resume with "
                                 f"--num_sims={len(existing)}, or use a new --suite_dir")
    _write_manifest(suite_dir, config, design)
    return design


def _write_manifest(suite_dir: str, config: SuiteConfig, design: List[SimulationSpec]) -> None:
    data = {"format": MANIFEST_FORMAT, "config": config.to_json(),
            "simulations": [dataclasses.asdict(spec) for spec in design]}
    atomic_write_text(manifest_path(suite_dir), json.dumps(data, indent=1))
