"""What survives the foreground wedge in a slab map: one real 21cmFAST box (64³ cells / 96 Mpc, the repro suite's
physics, one seed), its redshift-space 21 cm field along z at z = 10, 15, 20, cut into 4-cell (6 Mpc) slabs with and
without the wedge — horizon slope and primary-beam slope (× sin(FWHM/2) of a 38 m station, FWHM = λ/D), buffer
b = 0 and 0.1 Mpc⁻¹. Writes wedge_power_fraction.json beside this script: per case the fraction of the maps'
variance that survives (each map's mean removed: an interferometer has no zero spacing) and per k bin.

    .venv/bin/python docs/instrument/wedge_power_fraction.py     # ~3 min on 2 cores
"""
import json
import os

import numpy as np
import py21cmfast as p21c

from deep21_tf.simulation.config import SuiteConfig
from deep21_tf.simulation.design import SimulationSpec
from deep21_tf.simulation.physics import build_inputs, redshift_space
from deep21_tf.simulation.slabs import project_slabs
from deep21_tf.simulation.wedge import horizon_slope, remove_wedge
from deep21_tf.stats import power_spectrum

BOX, STATION_M, LAMBDA_21CM_M = 96.0, 38.0, 0.21106114
CONFIG = SuiteConfig(num_sims=1, hii_dim=64, box_len=BOX, redshifts=(10.0, 15.0, 20.0), slab_thickness=4,
                     slab_spacing=4)
SPEC = SimulationSpec(index=0, seed=4242, log10_mturn=8.5, log10_lx=40.5, log10_ngamma=3.5)


def slab_maps(box: np.ndarray) -> np.ndarray:
    maps = project_slabs(box, CONFIG.slab_starts, CONFIG.slab_thickness)
    return maps - maps.mean(axis=(1, 2), keepdims=True)


def main() -> None:
    results = {}
    inputs = build_inputs(SPEC, CONFIG, 1)
    for coeval, is_output in p21c.generate_coeval(inputs=inputs, out_redshifts=[20.0, 15.0, 10.0], write=False):
        if not is_output:
            continue
        z = min(CONFIG.redshifts, key=lambda r: abs(r - coeval.redshift))
        box = redshift_space(coeval, "brightness_temp", 2)
        maps = slab_maps(box)
        k, power = power_spectrum(maps, BOX)
        beam = float(np.sin(0.5 * LAMBDA_21CM_M * (1 + z) / STATION_M))
        result = {"horizon_slope": horizon_slope(z), "primary_beam_factor": beam}
        for name, factor, buffer in (("b=0.0", 1.0, 0.0), ("b=0.1", 1.0, 0.1), ("beam,b=0.0", beam, 0.0),
                                     ("beam,b=0.1", beam, 0.1)):
            kept = slab_maps(remove_wedge(box, BOX, factor * horizon_slope(z), buffer))
            _, kept_power = power_spectrum(kept, BOX)
            result[name] = dict(variance_fraction=float((kept ** 2).sum() / (maps ** 2).sum()), k=k.tolist(),
                                power_fraction_per_k=(kept_power.mean(0) / power.mean(0)).tolist())
        filtered = remove_wedge(box, BOX, horizon_slope(z), 0.0)
        result["box_variance_fraction_b0"] = float(((filtered - box.mean()) ** 2).sum()
                                                   / ((box - box.mean()) ** 2).sum())
        results[f"{z:g}"] = result
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "wedge_power_fraction.json"), "w") as handle:
        json.dump(results, handle, indent=1)


if __name__ == "__main__":
    main()
