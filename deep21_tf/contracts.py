"""The project's shared vocabulary, importable without TensorFlow: dataset configs and the redshifts they hold."""
from __future__ import annotations

from typing import Dict, Sequence, Tuple

#: The hi21cm dataset configs: name → redshifts packed as channels, in increasing order.
DATASET_REDSHIFTS: Dict[str, Tuple[float, ...]] = {
    "z10": (10.0,),
    "z15": (15.0,),
    "z20": (20.0,),
    "all_z": (10.0, 15.0, 20.0),
}
#: The single-redshift configs, keyed by their redshift (a redshift study trains one model per entry).
SINGLE_REDSHIFT_DATASETS: Dict[float, str] = {zs[0]: name for name, zs in DATASET_REDSHIFTS.items() if len(zs) == 1}


def redshift_datasets(redshifts: Sequence[float]) -> Tuple[str, ...]:
    """The single-redshift dataset configs of `redshifts` (e.g. 10, 15, 20 → z10, z15, z20), in the given order.

    Raises ValueError naming the allowed redshifts when one has no dataset, or when one is repeated.
    """
    allowed = ", ".join(f"{z:g}" for z in SINGLE_REDSHIFT_DATASETS)
    unknown = [z for z in redshifts if float(z) not in SINGLE_REDSHIFT_DATASETS]
    if unknown or not redshifts:
        raise ValueError(f"--redshifts={','.join(f'{z:g}' for z in redshifts)}: no dataset for "
                         f"{', '.join(f'z = {z:g}' for z in unknown) or 'an empty list'}; allowed: {allowed}")
    if len(set(redshifts)) != len(redshifts):
        raise ValueError(f"--redshifts={','.join(f'{z:g}' for z in redshifts)} repeats a redshift")
    return tuple(SINGLE_REDSHIFT_DATASETS[float(z)] for z in redshifts)
