"""Benchmark of U-Net training and inference on this machine (prints figures; run on an otherwise idle machine).

For each map size (64², 200²) and mode — fp32, xla (fp32 with jit_compile), bf16 (mixed bfloat16), bf16xla (both),
dp (fp32 data-parallel over every local accelerator: tf.distribute.MirroredStrategy on the TensorFlow backend,
keras.distribution.DataParallel on JAX), fit and dpfit (fp32 and dp timed through Keras' `fit` loop, as
`deep21-train` runs, instead of `train_on_batch`: on a CPU, `fit` under MirroredStrategy is where the strategy's cost
shows) — training maps/s at batch 30 per replica, achieved GFLOP/s (training ≈
3 × forward FLOPs, counted from the layers), inference maps/s, peak RSS and, on a GPU, peak device memory.
Each configuration runs in its own process so memory figures are separate. The model is plain Keras 3, so the
same benchmark runs on a GPU machine without TensorFlow: ``KERAS_BACKEND=jax python bench/bench_training.py``.

    .venv/bin/python bench/bench_training.py [--sizes 64,200] [--modes fp32,xla,bf16] [--steps 4]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from peak_memory import peak_rss_mib  # noqa: E402  (bench/ is on sys.path)

PEAK_GFLOPS = 294.0  # fp32 peak of the development CPU (BUILD_NOTES.md, "Figures measured on this 2-core machine")
BATCH = 30
MODES = ("fp32", "xla", "bf16", "bf16xla", "dp", "fit", "dpfit")


def forward_flops(model) -> float:
    """Forward FLOPs per map (2 per multiply-add) of the model's Conv2D, Conv2DTranspose and Dense layers."""
    import keras

    total = 0.0
    for layer in _all_layers(model):
        if isinstance(layer, keras.layers.Conv2DTranspose):
            _, height, width, channels_in = layer.input.shape
            total += 2.0 * height * width * layer.kernel_size[0] * layer.kernel_size[1] * channels_in * layer.filters
        elif isinstance(layer, keras.layers.Conv2D):
            _, height, width, channels_out = layer.output.shape
            channels_in = layer.input.shape[-1]
            total += 2.0 * height * width * layer.kernel_size[0] * layer.kernel_size[1] * channels_in * channels_out
        elif isinstance(layer, keras.layers.Dense):
            total += 2.0 * layer.input.shape[-1] * layer.units
    return total


def _all_layers(model):
    for layer in model.layers:
        yield from (_all_layers(layer) if hasattr(layer, "layers") else [layer])


def measure(size: int, mode: str, steps: int) -> dict:
    """Child mode: time `steps` training steps and inference batches of a base-64 U-Net on size² maps."""
    import contextlib

    import keras
    import numpy as np

    if mode.startswith("bf16"):
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    from deep21_tf.models import build_unet

    scope, replicas = contextlib.nullcontext(), 1
    if mode.startswith("dp"):
        scope, replicas = _data_parallel()
    with scope:
        model = build_unet((size, size, 1), base_filters=64, weight_decay=1e-4)
        model.compile(optimizer=keras.optimizers.Adam(1e-3, 0.5, 0.999), loss="mse",
                      jit_compile=mode.endswith("xla") or (mode.startswith("dp") and keras.backend.backend() == "jax"))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH * replicas, size, size, 1)).astype("float32")
    y = rng.standard_normal((BATCH * replicas, size, size, 1)).astype("float32")
    train_seconds = (_time_fit if mode.endswith("fit") else _time_train_on_batch)(model, x, y, steps)
    model.predict_on_batch(x)
    start = time.perf_counter()
    for _ in range(steps):
        model.predict_on_batch(x)
    infer_seconds = time.perf_counter() - start
    flops = forward_flops(model)
    train_rate = steps * BATCH * replicas / train_seconds
    return dict(size=size, mode=mode, replicas=replicas, forward_gflop=flops / 1e9, train_maps_per_s=train_rate,
                train_gflops=3 * flops * train_rate / 1e9, infer_maps_per_s=steps * BATCH * replicas / infer_seconds,
                peak_rss_gb=peak_rss_mib() / 1024, device=_device_name(), peak_device_gb=_peak_device_gb())


def _time_train_on_batch(model, x, y, steps: int) -> float:
    """Seconds for `steps` calls of `train_on_batch(x, y)`, after one that builds and compiles the step."""
    model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return time.perf_counter() - start


def _time_fit(model, x, y, steps: int) -> float:
    """Seconds for one `fit` epoch of `steps` batches (x, y), after a warm-up epoch that compiles the step."""
    import numpy as np

    inputs, targets = np.concatenate([x] * steps), np.concatenate([y] * steps)
    model.fit(inputs, targets, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    start = time.perf_counter()
    model.fit(inputs, targets, batch_size=len(x), epochs=1, shuffle=False, verbose=0)
    return time.perf_counter() - start


def _data_parallel():
    """(scope to build the model in, number of replicas) for data parallelism over every local accelerator."""
    import contextlib

    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy()
        return strategy.scope(), strategy.num_replicas_in_sync
    devices = keras.distribution.list_devices()
    keras.distribution.set_distribution(keras.distribution.DataParallel(devices=devices))
    return contextlib.nullcontext(), len(devices)


def _device_name() -> str:
    import keras

    if keras.backend.backend() == "jax":
        import jax

        return f"jax {jax.__version__}: {jax.devices()[0].device_kind}"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"tensorflow {tf.__version__}: " + (f"{len(gpus)} GPU(s)" if gpus else "CPU")


def _peak_device_gb() -> float:
    """Peak accelerator memory in GB (0 on a CPU)."""
    import keras

    if keras.backend.backend() == "jax":
        import jax

        stats = jax.devices()[0].memory_stats() or {}
        return stats.get("peak_bytes_in_use", 0) / 1e9
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        return 0.0
    return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="64,200")
    parser.add_argument("--modes", default="fp32,xla,bf16", help=f"comma-separated, from {','.join(MODES)}")
    parser.add_argument("--steps", type=int, default=4, help="timed steps per figure (after one warm-up step)")
    parser.add_argument("--child_timeout", type=float, default=600, help="seconds allowed per configuration")
    args = parser.parse_args()
    print(f"U-Net (base 64, 8,562,497 parameters), batch {BATCH} per replica; % peak is of the 2-core development "
          f"CPU's fp32 peak, {PEAK_GFLOPS:.0f} GFLOP/s")
    print(f"{'size':>5} {'mode':>7} {'fwd GFLOP':>10} {'train maps/s':>13} {'GFLOP/s':>8} {'% peak':>7} "
          f"{'infer maps/s':>13} {'peak RSS GB':>12} {'device GB':>10}")
    baseline = {}
    for size in (int(s) for s in args.sizes.split(",")):
        for mode in args.modes.split(","):
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
            try:
                out = subprocess.run([sys.executable, __file__, "--child", str(size), mode, str(args.steps)],
                                     capture_output=True, text=True, env=env, timeout=args.child_timeout)
            except subprocess.TimeoutExpired:
                print(f"{size:5d} {mode:>7} did not finish in {args.child_timeout:g} s", flush=True)
                continue
            if out.returncode != 0:
                print(f"{size:5d} {mode:>7} failed: {out.stderr.strip().splitlines()[-1]}", flush=True)
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            baseline.setdefault(size, r["train_maps_per_s"])
            print(f"{size:5d} {mode:>7} {r['forward_gflop']:10.2f} {r['train_maps_per_s']:13.2f} "
                  f"{r['train_gflops']:8.1f} {100 * r['train_gflops'] / PEAK_GFLOPS:6.1f}% "
                  f"{r['infer_maps_per_s']:13.2f} {r['peak_rss_gb']:12.2f} {r['peak_device_gb']:10.2f}   "
                  f"(train speed vs the first mode: {r['train_maps_per_s'] / baseline[size]:.2f}x; "
                  f"{r['replicas']} replica(s), {r['device']})", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(measure(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))))
    else:
        main()
