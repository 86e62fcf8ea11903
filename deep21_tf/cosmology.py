"""The simulations' cosmology and the conversions between what a telescope measures and comoving Mpc.

21cmFAST 4.1 runs with astropy's Planck18 (``py21cmfast.CosmoParams().cosmo``; every simulation file stores its
``cosmo_params``: h = 0.6766, Ω_m = 0.30964, Ω_b = 0.04897): the instrument model, the foreground wedge and FITS
images all use it. Flat, so the transverse comoving distance is the line-of-sight one, D_C(z). astropy's
cosmology is imported on first use (it costs seconds, and most commands that import this module never need it).
"""
from __future__ import annotations

import functools

#: Name of the training cosmology (astropy's).
TRAINING_COSMOLOGY_NAME = "Planck18"
#: Rest frequency of the 21 cm line, MHz.
NU_21CM_MHZ = 1420.405751768
#: Speed of light, km/s (exact).
C_KM_S = 299792.458


@functools.lru_cache(maxsize=None)
def training_cosmology():
    """astropy's Planck18, the cosmology 21cmFAST ran with."""
    from astropy.cosmology import Planck18

    return Planck18


def comoving_distance_mpc(z: float) -> float:
    """D_C(z) in Mpc."""
    return float(training_cosmology().comoving_distance(z).to_value("Mpc"))


def hubble_km_s_mpc(z: float) -> float:
    """H(z) in km s⁻¹ Mpc⁻¹."""
    return float(training_cosmology().H(z).to_value("km/(s Mpc)"))


def frequency_mhz(z: float) -> float:
    """Observed frequency of the 21 cm line emitted at redshift z, MHz."""
    return NU_21CM_MHZ / (1.0 + z)


def redshift_of_frequency(nu_mhz: float) -> float:
    """The redshift whose 21 cm line is observed at `nu_mhz` (MHz)."""
    return NU_21CM_MHZ / nu_mhz - 1.0


def bandwidth_mhz(z: float, depth_mpc: float) -> float:
    """Frequency width (MHz) of a comoving line-of-sight depth `depth_mpc` at z: Δν = ν₂₁ H(z) Δr / (c (1+z)²)."""
    return NU_21CM_MHZ * hubble_km_s_mpc(z) * depth_mpc / (C_KM_S * (1.0 + z) ** 2)


def angle_to_mpc(angle_rad: float, z: float) -> float:
    """Comoving transverse size (Mpc) of a small angle (rad) at z: θ D_C(z)."""
    return angle_rad * comoving_distance_mpc(z)
