"""Helpers shared by the absl apps: the one error entry point (`run_work`), the flags several apps share, clear
failure messages and float-list flags."""
from __future__ import annotations

import json
import sys
from typing import Callable, List, NoReturn, Optional, Sequence, Tuple, Type

from absl import flags


#: Warnings a library gives about its own internals (TFDS' partial decoding reads its deprecated `.dtype`).
LIBRARY_INTERNAL_WARNINGS = (".dtype` is deprecated. Please change your code to use NumPy with the field",)


def _not_library_internal(record) -> bool:
    return not any(text in record.getMessage() for text in LIBRARY_INTERNAL_WARNINGS)


def quiet_libraries() -> None:
    """Keep the console for our own messages: absl INFO lines from TFDS/Beam are hidden, and so are the warnings
    libraries give about their own internals (other warnings still show)."""
    from absl import logging

    logging.set_verbosity(logging.WARNING)
    if _not_library_internal not in logging.get_absl_logger().filters:
        logging.get_absl_logger().addFilter(_not_library_internal)


def fail(program: str, message: str) -> NoReturn:
    """Print `program: error: message` on stderr and exit with status 2 (bad input)."""
    print(f"{program}: error: {message}", file=sys.stderr)
    sys.exit(2)


def parse_floats(flag_name: str, values: Sequence[str], count: int = 0) -> List[float]:
    """Turn a list flag into floats; `count` > 0 demands exactly that many. Raises ValueError naming the flag."""
    try:
        numbers = [float(v) for v in values]
    except ValueError:
        raise ValueError(f"--{flag_name}={','.join(values)} must be comma-separated numbers") from None
    if count and len(numbers) != count:
        raise ValueError(f"--{flag_name}={','.join(values)} must have exactly {count} numbers")
    return numbers


def check_choices(flag_name: str, values: Sequence[str], allowed: Sequence[str], least: int = 0) -> None:
    """Raise ValueError naming `--flag_name` and the allowed values when one of `values` (a list flag's, or one
    value) is not in `allowed`, or when fewer than `least` are given."""
    unknown = [v for v in values if v not in allowed]
    if unknown or len(values) < least:
        problem = (f"{', '.join(map(repr, unknown))} {'is' if len(unknown) == 1 else 'are'} not allowed" if unknown
                   else f"{len(values)} given")
        raise ValueError(f"--{flag_name}={','.join(values)}: {problem}; use "
                         f"{'at least ' + str(least) + ' of ' if least > 1 else ''}{', '.join(allowed)}")


def define_model_split_flags(model_help: str, outputs: str, default_output: str) -> None:
    """--model_dir and --data_dir (both required), --split and --output_dir: the flags of the apps that read one
    trained model and one split of its dataset (deep21-evaluate, deep21-saliency). `outputs` names what lands in
    --output_dir, `default_output` its default folder."""
    flags.DEFINE_string("model_dir", None, model_help)
    flags.DEFINE_string("data_dir", None, "TFDS data dir holding the model's dataset (`tfds build datasets/hi21cm`).")
    flags.DEFINE_string("split", "test", "Dataset split (test, validation, train, or a TFDS slice such as test[:10]).")
    flags.DEFINE_string("output_dir", None, f"Where {outputs} go (default {default_output}).")
    flags.mark_flags_as_required(["model_dir", "data_dir"])


def run_work(program: str, argv: Sequence[str], work: Callable[[], Optional[dict]],
             report: Callable[[dict], str] = json.dumps, start_tensorflow: bool = True,
             errors: Tuple[Type[Exception], ...] = (ValueError, OSError),
             exit_status: Callable[[object], int] = lambda result: 0) -> int:
    """The body of every app's main: refuse stray arguments, quieten library logs and TensorFlow's start, run `work`,
    turn one of `errors` into a one-line error (exit 2), print `report(result)` on success and return
    `exit_status(result)`. `start_tensorflow=False`: the work starts TensorFlow itself, late (with
    `start_tensorflow_quietly`), or never."""
    if len(argv) > 1:
        fail(program, f"unexpected arguments {list(argv[1:])}")
    quiet_libraries()
    if start_tensorflow:
        from deep21_tf.util.quiet import start_tensorflow_quietly

        start_tensorflow_quietly()
    try:
        result = work()
    except errors as error:
        fail(program, str(error))
    if result is not None:
        print(report(result))
    return exit_status(result)
