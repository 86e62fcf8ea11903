"""Benchmark of U-Net training and inference on this machine (prints figures; run on an otherwise idle machine).

For each map size (64², 200²) and mode (fp32, XLA jit_compile, mixed bfloat16): training maps/s at batch 30,
achieved GFLOP/s (training ≈ 3 × forward FLOPs, counted from the layers), inference maps/s and peak RSS.
Each configuration runs in its own process so RSS figures are separate.

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

PEAK_GFLOPS = 294.0  # this CPU's fp32 peak (2 cores, AVX-512), from ../shared/DESIGN.md
BATCH = 30


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
    import keras
    import numpy as np

    if mode == "bf16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    from deep21_tf.models import build_unet

    model = build_unet((size, size, 1), base_filters=64, weight_decay=1e-4)
    model.compile(optimizer=keras.optimizers.Adam(1e-3, 0.5, 0.999), loss="mse", jit_compile=mode == "xla")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, size, size, 1)).astype("float32")
    y = rng.standard_normal((BATCH, size, size, 1)).astype("float32")
    model.train_on_batch(x, y)  # build + compile the step
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    train_seconds = time.perf_counter() - start
    model.predict_on_batch(x)
    start = time.perf_counter()
    for _ in range(steps):
        model.predict_on_batch(x)
    infer_seconds = time.perf_counter() - start
    flops = forward_flops(model)
    train_rate = steps * BATCH / train_seconds
    return dict(size=size, mode=mode, forward_gflop=flops / 1e9, train_maps_per_s=train_rate,
                train_gflops=3 * flops * train_rate / 1e9, infer_maps_per_s=steps * BATCH / infer_seconds,
                peak_rss_gb=peak_rss_mib() / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="64,200")
    parser.add_argument("--modes", default="fp32,xla,bf16")
    parser.add_argument("--steps", type=int, default=4, help="timed steps per figure (after one warm-up step)")
    args = parser.parse_args()
    print(f"U-Net (base 64, 8,562,497 parameters), batch {BATCH}; fp32 peak of this CPU ≈ {PEAK_GFLOPS:.0f} GFLOP/s")
    print(f"{'size':>5} {'mode':>5} {'fwd GFLOP':>10} {'train maps/s':>13} {'GFLOP/s':>8} {'% peak':>7} "
          f"{'infer maps/s':>13} {'peak RSS GB':>12}")
    baseline = {}
    for size in (int(s) for s in args.sizes.split(",")):
        for mode in args.modes.split(","):
            env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
            out = subprocess.run([sys.executable, __file__, "--child", str(size), mode, str(args.steps)],
                                 capture_output=True, text=True, env=env)
            if out.returncode != 0:
                print(f"{size:5d} {mode:>5} failed: {out.stderr.strip().splitlines()[-1]}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            baseline.setdefault(size, r["train_maps_per_s"])
            print(f"{size:5d} {mode:>5} {r['forward_gflop']:10.2f} {r['train_maps_per_s']:13.2f} "
                  f"{r['train_gflops']:8.1f} {100 * r['train_gflops'] / PEAK_GFLOPS:6.1f}% "
                  f"{r['infer_maps_per_s']:13.2f} {r['peak_rss_gb']:12.2f}   "
                  f"(train speed vs fp32: {r['train_maps_per_s'] / baseline[size]:.2f}x)")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--child":
        print(json.dumps(measure(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]))))
    else:
        main()
