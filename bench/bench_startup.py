"""Benchmark of what a short `deep21-train` pays before it learns anything (prints figures; run on an idle machine).

Every CLI call and pipeline stage is its own process, so on the tiny presets (demo, tests) start-up, not arithmetic,
is most of a training run. Each figure comes from a fresh process:
- `import`: `import tensorflow, keras, tensorflow_datasets` (Keras imports scikit-learn when it is installed);
- `first fit, optimizer built lazily`: the first one-epoch `fit` of a tiny U-Net (32² maps, 4 base filters, 16 maps,
  batch 4) when Adam makes its moment variables inside the first traced train step, Keras' default;
- `first fit, optimizer built first`: the same after `optimizer.build(trainable_variables)`, as `deep21-train` does;
- `second fit`: a second epoch in the same process (the traced step reused): the arithmetic itself.

    .venv/bin/python bench/bench_startup.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

IMPORT = """
import json, time
start = time.perf_counter()
import tensorflow, keras, tensorflow_datasets
print(json.dumps({"import": time.perf_counter() - start}))
"""

FIT = """
import json, time
from deep21_tf.util.quiet import start_tensorflow_quietly
start_tensorflow_quietly()
import keras
import numpy as np
from deep21_tf.models import build_unet

network = build_unet((32, 32, 1), base_filters=4)
network.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
maps = np.random.default_rng(0).normal(size=(16, 32, 32, 1)).astype("float32")
start = time.perf_counter()
if {prebuild}:
    network.optimizer.build(network.trainable_variables)
network.fit(maps, maps, batch_size=4, epochs=1, verbose=0)
first = time.perf_counter() - start
start = time.perf_counter()
network.fit(maps, maps, batch_size=4, epochs=1, verbose=0)
print(json.dumps({{"first": first, "second": time.perf_counter() - start}}))
"""


def measure(code: str) -> dict:
    """Run `code` in a fresh interpreter; its last stdout line is a JSON dict of seconds."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="fresh processes per figure (the median is printed)")
    repeats = parser.parse_args().repeats

    imports, lazy, built, second = [], [], [], []
    for _ in range(repeats):  # interleaved, so a change in the machine's load touches every figure alike
        imports.append(measure(IMPORT)["import"])
        lazy.append(measure(FIT.format(prebuild=False))["first"])
        run = measure(FIT.format(prebuild=True))
        built.append(run["first"])
        second.append(run["second"])
    median = {name: statistics.median(values) for name, values in
              (("import", imports), ("lazy", lazy), ("built", built), ("second", second))}
    print(f"import tensorflow, keras, tensorflow_datasets: {median['import']:.1f} s")
    print(f"first fit, optimizer built lazily:            {median['lazy']:.1f} s")
    print(f"first fit, optimizer built first:             {median['built']:.1f} s "
          f"({median['lazy'] / median['built']:.1f}x faster)")
    print(f"second fit (the arithmetic):                  {median['second']:.2f} s")
    print(json.dumps({"repeats": repeats, "median_seconds": median}))


if __name__ == "__main__":
    main()
