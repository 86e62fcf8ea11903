"""A finished simulation suite as the TFDS builder sees it: checked up front, then read one file at a time.

Every simulation of the manifest must have a complete file (`deep21_tf.simulation.storage.incompleteness`);
a suite that does not is an error naming the file, never silently thinned out.
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Dict, Iterator, Sequence, Tuple

import numpy as np

from deep21_tf.contracts import PARAMETER_NAMES
from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.manifest import manifest_path, read_manifest
from deep21_tf.simulation.storage import BRIGHTNESS_FIELD, incompleteness, read_maps, simulation_path

#: At most this many bad files are listed in one error.
MAX_LISTED_PROBLEMS = 5


class SuiteError(ValueError):
    """The suite directory cannot be packed; the message names the file and how to fix it."""


@dataclasses.dataclass(frozen=True)
class Suite:
    """A checked suite: its settings, the redshifts (as stored) to read, and the file of every simulation."""

    suite_dir: str
    config: SuiteConfig
    redshifts: Tuple[float, ...]
    files: Dict[str, str]  # sim_id -> path of its complete HDF5 file


def open_suite(suite_dir: str, redshifts: Sequence[float], need_density: bool = True, need_wedge: bool = False) -> Suite:
    """Check `suite_dir` (the `--manual_dir`) holds a complete suite with `redshifts` (and δ maps, when
    `need_density`: a compact suite has none; and wedge-filtered 21 cm maps, when `need_wedge`); raise SuiteError if
    not."""
    how_to_make = f"make it, or finish it, with `deep21-simulate --suite_dir={suite_dir}`"
    if not os.path.isdir(suite_dir):
        raise SuiteError(f"suite directory {suite_dir} does not exist; {how_to_make}")
    manifest = manifest_path(suite_dir)
    if not os.path.isfile(manifest):
        raise SuiteError(f"{manifest} not found: {suite_dir} is not a simulation suite; {how_to_make}")
    try:
        config, design = read_manifest(suite_dir)
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as error:
        raise SuiteError(f"{manifest} is unreadable ({error}); {how_to_make}") from error
    without_density = [z for z in redshifts if not config.keeps_density(z)]
    if need_density and without_density:
        kept = ", ".join(f"{z:g}" for z in config.density_redshifts) or "none"
        raise SuiteError(f"{manifest}: the suite is compact, with density maps at z = {kept} only, so it cannot make "
                         f"a dataset with density maps at z = {', '.join(f'{z:g}' for z in without_density)}; build "
                         "its params_ twin (e.g. --config=params_z15 or params_all_z: 21 cm maps and parameters, "
                         "AstroNet's data), or simulate a suite without --compact")
    if need_wedge and not config.wedge:
        raise SuiteError(f"{manifest}: the suite has no 21 cm maps with the foreground wedge removed; build a config "
                         "without the _wedge suffix, or simulate a suite with --wedge")
    stored = []
    for redshift in redshifts:
        matches = [z for z in config.redshifts if np.isclose(z, redshift)]
        if not matches:
            raise SuiteError(f"{manifest}: the suite has redshifts {sorted(config.redshifts)}, not z={redshift:g}; "
                             "choose a builder config whose redshifts the suite has, or simulate them")
        stored.append(matches[0])
    files = {spec.sim_id: simulation_path(suite_dir, spec) for spec in design}
    problems = [f"{files[spec.sim_id]}: {reason}" for spec in design
                if (reason := incompleteness(files[spec.sim_id], spec, config)) is not None]
    if problems:
        listed = "; ".join(problems[:MAX_LISTED_PROBLEMS])
        more = f" (and {len(problems) - MAX_LISTED_PROBLEMS} more)" if len(problems) > MAX_LISTED_PROBLEMS else ""
        raise SuiteError(f"{len(problems)} of {len(design)} simulation files are not complete: {listed}{more}; "
                         f"{how_to_make}")
    return Suite(suite_dir=suite_dir, config=config, redshifts=tuple(stored), files=files)


def read_examples(path: str, redshifts: Sequence[float], with_density: bool = True,
                  field_21cm: str = BRIGHTNESS_FIELD) -> Iterator[Tuple[str, dict]]:
    """(key, example) for every slab map of one simulation file, channels ordered as `redshifts`.

    The example holds the features of `deep21_tf.data.tfds_builder.Hi21cm`: maps (H, W, C) float32 (the 21 cm maps
    from the file's `field_21cm`; the δ map only `with_density`), the three parameters in physical units (float64:
    L_X ~ 1e40 overflows float32) and in log10, and provenance.
    """
    map_21cm, density, los_axis, attrs = read_maps(path, redshifts, field_21cm)
    log10_params = np.array([attrs[name] for name in PARAMETER_NAMES], dtype=np.float64)
    common = {
        "params": 10.0 ** log10_params,
        "log10_params": log10_params.astype(np.float32),
        "sim_id": str(attrs["sim_id"]),
        "seed": int(attrs["seed"]),
        "redshift": np.asarray(redshifts, dtype=np.float32),
        "box_len": np.float32(attrs["box_len"]),
        "cell_size": np.float32(attrs["cell_size"]),
    }
    for index in range(map_21cm.shape[0]):
        example = dict(common, map_21cm=map_21cm[index], slice_index=index, los_axis=los_axis[index])
        if with_density:
            example["density"] = density[index]
        yield f"{common['sim_id']}/{index:04d}", example
