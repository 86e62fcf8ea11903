"""The pipeline driver's records and plan on a chain of small real programs: a stage is reused only when its record
matches; a change reruns it and everything after it, or — for a protected stage — stops the run with one line."""
from __future__ import annotations

import dataclasses
import json
import sys

import pytest

from deep21_tf.driver.plan import Stage, rerun_choices
from deep21_tf.driver.records import read_records, resolve_command
from deep21_tf.driver.stages import run_stages

#: A stage program: writes --value (and what it read from --inp) to --out; like deep21-train it never replaces a
#: finished output (exit 3), and with --fail=true it leaves a partial file and fails.
PROGRAM = """
import os, sys
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--"))
out = args["out"]
if os.path.exists(out):
    sys.exit(3)
os.makedirs(os.path.dirname(out), exist_ok=True)
if args.get("fail") == "true":
    open(out + ".partial", "w").write("half")
    sys.exit(1)
open(out, "w").write(args["value"] + (" <- " + open(args["inp"]).read() if "inp" in args else ""))
"""


def chain(run_dir, make="1", derive="1", fail=False):
    """make (protected: a/out.txt) → derive (b.txt) → final (c.txt)."""
    a, b, c = str(run_dir / "a" / "out.txt"), str(run_dir / "b.txt"), str(run_dir / "c.txt")
    program = [sys.executable, "-c", PROGRAM]
    return [Stage("make", [*program, f"--value={make}", f"--out={a}", *(["--fail=true"] if fail else [])],
                  output=str(run_dir / "a"), product=a, protected=True),
            Stage("derive", [*program, f"--value={derive}", f"--inp={a}", f"--out={b}"], output=b, product=b,
                  reads=(a,)),
            Stage("final", [*program, "--value=f", f"--inp={b}", f"--out={c}"], output=c, product=c, reads=(b,))]


def run(stages, run_dir, **options):
    """Run the chain; return {stage: action} from the driver's log lines."""
    lines = []
    run_stages(stages, str(run_dir), log=lines.append, **options)
    return {line.split("] ", 1)[1].split(" ", 1)[0].rstrip(":"): line[1:line.index("]")].strip() for line in lines}


def snapshot(run_dir) -> dict:
    return {str(p.relative_to(run_dir)): p.read_text() for p in run_dir.rglob("*") if p.is_file()}


def test_second_run_reuses_everything_and_records_what_each_stage_ran_with(tmp_path):
    assert run(chain(tmp_path), tmp_path) == {"make": "run", "derive": "run", "final": "run"}
    assert (tmp_path / "c.txt").read_text() == "f <- 1 <- 1"
    assert run(chain(tmp_path), tmp_path) == {"make": "skip", "derive": "skip", "final": "skip"}
    record = read_records(str(tmp_path / "stage_records.json"))["derive"]
    assert record["command"]["flags"] == {"inp": "{run_dir}/a/out.txt", "out": "{run_dir}/b.txt", "value": "1"}
    assert list(record["inputs"]) == ["a/out.txt"] and len(record["inputs"]["a/out.txt"]) == 64
    assert list(record["output"]) == ["b.txt"] and record["deep21_tf"]


def test_a_changed_cheap_stage_reruns_with_the_stages_after_it(tmp_path):
    run(chain(tmp_path), tmp_path)
    assert run(chain(tmp_path, derive="2"), tmp_path) == {"make": "skip", "derive": "run", "final": "run"}
    assert (tmp_path / "c.txt").read_text() == "f <- 2 <- 1"
    report = json.loads((tmp_path / "stage_times.json").read_text())
    assert set(report) == {"make", "derive", "final"}


def test_a_changed_protected_stage_stops_the_run_and_names_the_ways_on(tmp_path):
    run(chain(tmp_path), tmp_path)
    before = snapshot(tmp_path)
    with pytest.raises(ValueError) as refused:
        run(chain(tmp_path, make="2", derive="2"), tmp_path)
    message = str(refused.value)
    assert message.startswith("stage 'make' would rerun (value: 1 → 2), replacing ") and "\n" not in message
    assert "--rerun_changed" in message and "--rerun='make'" in message and "new --run_dir" in message
    assert "--adopt" not in message  # settings differ: keeping the output would be a lie
    assert snapshot(tmp_path) == before  # nothing ran, nothing was written


def test_consent_reruns_the_protected_stage_and_everything_after_it(tmp_path):
    run(chain(tmp_path), tmp_path)
    assert run(chain(tmp_path, make="2"), tmp_path, rerun_changed=True) == {"make": "run", "derive": "run",
                                                                            "final": "run"}
    assert (tmp_path / "c.txt").read_text() == "f <- 1 <- 2"  # the old outputs were removed, then remade
    assert run(chain(tmp_path, make="2"), tmp_path) == {"make": "skip", "derive": "skip", "final": "skip"}


def test_rerun_forces_a_stage_and_the_stages_after_it(tmp_path):
    run(chain(tmp_path), tmp_path)
    assert run(chain(tmp_path), tmp_path, rerun=["derive"]) == {"make": "skip", "derive": "run", "final": "run"}
    with pytest.raises(ValueError, match=r"--rerun=mix: 'mix' is not allowed; use make, derive, final"):
        run(chain(tmp_path), tmp_path, rerun=["mix"])


def test_a_hand_edited_output_is_not_reused(tmp_path):
    run(chain(tmp_path), tmp_path)
    (tmp_path / "b.txt").write_text("edited")
    assert run(chain(tmp_path), tmp_path) == {"make": "skip", "derive": "run", "final": "run"}
    (tmp_path / "a" / "out.txt").write_text("edited")
    with pytest.raises(ValueError, match=r"stage 'make' would rerun \(its output a/out.txt changed since it was "
                                         r"recorded\)"):
        run(chain(tmp_path), tmp_path)


def test_outputs_without_records_need_adopt_or_a_rerun(tmp_path):
    run(chain(tmp_path), tmp_path)
    (tmp_path / "stage_records.json").unlink()  # as a run by deep21-tf before records left it
    with pytest.raises(ValueError) as refused:
        run(chain(tmp_path), tmp_path)
    assert str(refused.value).startswith("stage 'make' would rerun (no record of what it was run with)")
    assert "pass --adopt to keep it as it is" in str(refused.value)
    assert run(chain(tmp_path), tmp_path, adopt=True) == {"make": "adopt", "derive": "adopt", "final": "adopt"}
    assert (tmp_path / "c.txt").read_text() == "f <- 1 <- 1"
    assert run(chain(tmp_path), tmp_path) == {"make": "skip", "derive": "skip", "final": "skip"}


def test_another_package_version_reruns_or_is_adopted(tmp_path):
    run(chain(tmp_path), tmp_path)
    path = tmp_path / "stage_records.json"
    path.write_text(path.read_text().replace('"deep21_tf": "', '"deep21_tf": "0.0.0-'))
    with pytest.raises(ValueError, match=r"would rerun \(deep21-tf 0.0.0-.* → .*\).*pass --adopt to keep it"):
        run(chain(tmp_path), tmp_path)
    assert run(chain(tmp_path), tmp_path, adopt=True) == {"make": "adopt", "derive": "adopt", "final": "adopt"}


def test_a_failed_stage_keeps_no_record_and_resumes_next_time(tmp_path):
    with pytest.raises(RuntimeError, match="stage 'make' failed with exit status 1"):
        run(chain(tmp_path, fail=True), tmp_path)
    assert "make" not in read_records(str(tmp_path / "stage_records.json"))
    assert run(chain(tmp_path), tmp_path) == {"make": "run", "derive": "run", "final": "run"}
    assert (tmp_path / "a" / "out.txt.partial").is_file()  # resumed in place, not cleared first


def test_resolved_commands_expand_flagfiles_keep_the_last_value_and_ignore_how_to_run(tmp_path):
    flagfile = tmp_path / "preset.flags"
    flagfile.write_text("# a preset\n--epochs=2\n--workers=8\n--tta\n")
    run_dir = str(tmp_path / "run")
    command = [sys.executable, "-m", "deep21_tf.apps.train", f"--flagfile={flagfile}", "--epochs=3", "--notta",
               f"--model_dir={run_dir}/unet", "--progress=false", "build"]
    assert resolve_command(command, run_dir) == {
        "program": "deep21_tf.apps.train", "arguments": ["build"],
        "flags": {"epochs": "3", "model_dir": "{run_dir}/unet", "tta": "false"}}
    moved = resolve_command([*command[:-3], f"--model_dir={tmp_path}/elsewhere/unet", "build"],
                            f"{tmp_path}/elsewhere/")
    assert moved["flags"]["model_dir"] == "{run_dir}/unet"  # the same run, moved or spelt otherwise


def test_in_a_redshift_study_a_name_without_its_dataset_reruns_it_at_every_redshift(tmp_path):
    stages = []
    for dataset in ("z10", "z20"):
        stages += [dataclasses.replace(stage, name=f"{stage.name} [{dataset}]")
                   for stage in chain(tmp_path / dataset)]
    assert rerun_choices(stages)[-3:] == ["make", "derive", "final"]
    run(stages, tmp_path)
    lines = []
    run_stages(stages, str(tmp_path), rerun=["derive"], log=lines.append)
    assert [line.split(" (")[0] for line in lines if line.startswith("[run ]")] == [
        "[run ] derive [z10]", "[run ] final [z10]", "[run ] derive [z20]", "[run ] final [z20]"]
