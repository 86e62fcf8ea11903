"""Which stages of a pipeline run do work and which are reused, decided before anything runs.

A stage is reused when its output is complete and its record (`driver.records`) equals what it would run with now.
Otherwise it runs — a resume when its output is unfinished, a rerun that first removes the output when the record
differs, is missing or was forced with --rerun — and every stage reading its output reruns after it.

Rerunning a *protected* stage (the simulation suite, every trained network: hours of work at the reproduction's
scale) destroys what it made, so it needs consent: --rerun_changed, or --rerun naming it or a stage before it.
Without consent the run stops before any stage runs, with one line naming the stage, what differs and the ways on.

Outputs without a record (made by deep21-tf before records existed, or by hand) are unknown: cheap stages rerun;
deep21-simulate checks an existing suite against its flags itself, so the simulate stage runs (a complete suite
returns at once, other settings are refused by it); other protected stages need --adopt (keep the output and record
today's settings for it), --rerun or a new --run_dir. --adopt also keeps an output whose record differs only in the
deep21-tf version.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from deep21_tf.driver.records import differences, make_record

RUN, SKIP, ADOPT = "run", "skip", "adopt"
NO_RECORD = "no record of what it was run with"
STUDY_SUFFIX = " ["  # stage names of a redshift study end in " [z10]", …


@dataclasses.dataclass(frozen=True)
class Stage:
    """One step of the pipeline: a command, what it writes and what it reads.

    `output`: the file or folder it writes (removed before a rerun); `product`: the file whose content fingerprints
    that output (the stages after it read it); `reads`: the products of earlier stages it reads; `complete`: the
    test that its output is whole (default: `product` exists); `protected`: expensive to remake (see above);
    `self_checking`: its command checks an existing output against its flags (deep21-simulate).
    """

    name: str
    command: List[str]
    output: str
    product: str
    reads: Tuple[str, ...] = ()
    complete: Optional[Callable[[], bool]] = None
    protected: bool = False
    self_checking: bool = False
    starts_tensorflow_loudly: bool = False  # a program whose TensorFlow start-up lines the driver filters out

    def is_complete(self) -> bool:
        return self.complete() if self.complete else os.path.isfile(self.product)

    def record(self, run_dir: str) -> dict:
        """The record of this stage as it would run now (its inputs and output as they are on disk)."""
        return make_record(self.command, self.reads, self.product, run_dir)


@dataclasses.dataclass(frozen=True)
class Decision:
    """What the run does with one stage: RUN (removing its output first when `clear`), SKIP or ADOPT, and why.

    `checks_only`: the run only checks an output it keeps (a self-checking stage without a record), so the stages
    after it need not rerun; `adoptable`: --adopt would keep the output instead (no record, or only the version
    differs, here or in the stages that make it rerun).
    """

    stage: Stage
    action: str
    reasons: Tuple[str, ...] = ()
    clear: bool = False
    checks_only: bool = False
    adoptable: bool = False
    needs_consent: bool = False

    def summary(self) -> str:
        """How REPORT.md's stage table tells what this run did with the stage."""
        if self.action == SKIP:
            return "reused"
        return f"{'adopted' if self.action == ADOPT else 'ran'} ({'; '.join(self.reasons)})"


def base_name(name: str) -> str:
    """A stage name without a redshift study's dataset suffix: 'train U-Net [z10]' → 'train U-Net'."""
    return name.rsplit(STUDY_SUFFIX, 1)[0] if name.endswith("]") else name


def rerun_choices(stages: Sequence[Stage]) -> List[str]:
    """The values --rerun takes: every stage name, and in a study each name without its dataset (all datasets)."""
    names = [stage.name for stage in stages]
    return list(dict.fromkeys(names + [base_name(name) for name in names]))


def plan(stages: Sequence[Stage], records: Dict[str, dict], run_dir: str, rerun: Sequence[str] = (),
         rerun_changed: bool = False, adopt: bool = False) -> List[Decision]:
    """One Decision per stage, in order (see the module docstring for the rules)."""
    producers = {stage.product: stage.name for stage in stages}
    rerunning: Dict[str, Decision] = {}  # stages whose output this run replaces or extends
    forced_lines, decisions = set(), []
    for stage in stages:
        upstream = [producers[path] for path in stage.reads if path in producers]
        forced = stage.name in rerun or base_name(stage.name) in rerun
        consent = rerun_changed or forced or any(name in forced_lines for name in upstream)
        if forced or any(name in forced_lines for name in upstream):
            forced_lines.add(stage.name)
        causes = [rerunning[name] for name in upstream if name in rerunning]
        if forced:
            decision = Decision(stage, RUN, ("--rerun",), clear=True)
        elif not os.path.exists(stage.output):
            decision = Decision(stage, RUN, ("its output is missing" if stage.name in records else "not run yet",))
        elif causes:
            decision = Decision(stage, RUN, tuple(f"its input from '{cause.stage.name}' is remade" for cause in causes),
                                clear=True, adoptable=all(cause.adoptable for cause in causes))
        else:
            decision = _decide(stage, records.get(stage.name), run_dir, adopt)
        if decision.action == RUN and not decision.checks_only:
            rerunning[stage.name] = decision
            decision = dataclasses.replace(decision, needs_consent=stage.protected and decision.clear and not consent
                                           and os.path.exists(stage.output))
        decisions.append(decision)
    return decisions


def _decide(stage: Stage, record: Optional[dict], run_dir: str, adopt: bool) -> Decision:
    """The decision for a stage with an output, none of whose inputs is remade in this run."""
    complete = stage.is_complete()
    changes = None if record is None else differences(record, stage.record(run_dir))
    if not complete and (changes is None or not changes.keys() - {"output"}):
        return Decision(stage, RUN, ("resumes its unfinished output",))
    if changes is None:
        if adopt:
            return Decision(stage, ADOPT, (NO_RECORD,))
        if stage.self_checking:
            return Decision(stage, RUN, (f"{NO_RECORD}: its command checks its output",), checks_only=True)
        return Decision(stage, RUN, (NO_RECORD,), clear=True, adoptable=True)
    if not changes:
        return Decision(stage, SKIP)
    reasons = tuple(phrase for phrases in changes.values() for phrase in phrases)
    version_only = complete and list(changes) == ["deep21_tf"]
    if adopt and version_only:
        return Decision(stage, ADOPT, reasons)
    return Decision(stage, RUN, reasons, clear=True, adoptable=version_only)


def refusal(decisions: Sequence[Decision]) -> Optional[str]:
    """The one line that stops the run when a protected stage would be rerun without consent, else None."""
    waiting = [d for d in decisions if d.needs_consent]
    if not waiting:
        return None
    first = waiting[0]
    name, output = first.stage.name, first.stage.output
    ways = [f"pass --rerun_changed (or --rerun='{name}') to rerun it and every stage after it"]
    if first.adoptable:
        ways.insert(0, "pass --adopt to keep it as it is")
    ways.append("choose a new --run_dir to keep this run as it is")
    more = (f" ({len(waiting) - 1} more stage{'s' if len(waiting) > 2 else ''} too: "
            f"{', '.join(repr(d.stage.name) for d in waiting[1:])})" if len(waiting) > 1 else "")
    return (f"stage '{name}' would rerun ({'; '.join(first.reasons)}), replacing {output}{more}: "
            f"{', or '.join(ways)}")
