"""A quiet TensorFlow start: on a machine without an NVIDIA GPU, the start-up lines TensorFlow's C++ core writes to
stderr before its logging is set up (CUDA driver probes, "All log messages before absl::InitializeLog()", CPU
instruction notices) are dropped, so a newcomer sees only the app's own messages. Every other line is passed on,
and on a GPU machine nothing is filtered: real CUDA errors must show there.
"""
from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
import tempfile
from typing import Sequence

#: Start-up lines that carry no information on a CPU-only machine.
STARTUP_NOISE = re.compile(r"All log messages before absl::InitializeLog|cudart_stub\.cc|cuda_platform\.cc|"
                       r"cuda_(dnn|fft|blas)\.cc|Unable to register cu(DNN|FFT|BLAS) factory|"
                       r"computation_placer|oneDNN custom operations|This TensorFlow binary is optimized|"
                       r"To enable the following instructions|rebuild TensorFlow with the appropriate compiler|"
                       r"apitools not found, and bigquery client libraries")


def has_nvidia_gpu() -> bool:
    """True when the kernel exposes an NVIDIA device (what TensorFlow's CUDA probe looks for)."""
    return bool(glob.glob("/dev/nvidia[0-9]*"))


def import_tensorflow():
    """Import TensorFlow while scikit-learn looks absent. Keras imports scikit-learn at start-up, when installed (it is,
    for tools21cm), for its scikit-learn wrappers, which deep21-tf does not use: 0.7 s of a 5.7 s start on 2 idle
    cores. A later `import sklearn` (tools21cm's) works as usual. Returns the `tensorflow` module."""
    hidden = "sklearn" not in sys.modules
    if hidden:
        sys.modules["sklearn"] = None  # makes `import sklearn` raise ImportError
    try:
        import tensorflow
    finally:
        if hidden:
            del sys.modules["sklearn"]
    return tensorflow


def start_tensorflow_quietly() -> None:
    """Import TensorFlow (`import_tensorflow`) and probe its devices with stderr captured, then pass on all but the
    STARTUP_NOISE lines (on a GPU machine: import it, capture nothing)."""
    if "tensorflow" in sys.modules:
        return
    if has_nvidia_gpu():
        import_tensorflow()
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as capture:
        os.dup2(capture.fileno(), 2)
        try:
            import_tensorflow().config.list_physical_devices()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            kept = [line for line in capture.read().decode("utf-8", "replace").splitlines()
                    if line.strip() and not STARTUP_NOISE.search(line)]
    if kept:
        print("\n".join(kept), file=sys.stderr)


def call_quietly(command: Sequence[str]) -> int:
    """Run `command` (a program that starts TensorFlow before any of our code, e.g. `tfds build`) and return its
    exit status, passing on its stderr without the STARTUP_NOISE lines (all of it on a GPU machine)."""
    if has_nvidia_gpu():
        return subprocess.call(list(command))
    process = subprocess.Popen(list(command), stderr=subprocess.PIPE, text=True, errors="replace")
    for line in process.stderr:
        if not STARTUP_NOISE.search(line):
            sys.stderr.write(line)
            sys.stderr.flush()
    return process.wait()
