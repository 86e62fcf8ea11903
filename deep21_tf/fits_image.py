"""Radio images as FITS: read 21 cm maps with their geometry, write predicted maps back under the input's header.

`read_fits_image(path, redshift=None)`: the first HDU holding an image; its degenerate leading axes (Stokes,
a single frequency) are dropped, so the maps are (H, W) or a stack (N, H, W) (e.g. N frequency planes), rows
along FITS axis 2 and columns along axis 1 as numpy reads them. Brightness unit from BUNIT: K or mK (missing: mK,
with a warning). Pixel scale from the WCS of axes 1 and 2 (CDELTi or the CD / PC matrix, degrees; square pixels).
Redshift from `redshift`, else the header's REDSHIFT, else a FREQ axis' reference value (21 cm line). The pixel's
comoving size uses the training cosmology (`deep21_tf.cosmology`, Planck18): cell = θ D_C(z).
`write_fits_like(path, data, image, history)`: `data` in the input's data shape, the input's header with
BUNIT set to the new unit and HISTORY cards saying what was done; written atomically.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Optional, Sequence, Tuple

import numpy as np

from deep21_tf import cosmology
from deep21_tf.util.atomic import atomic_path

FITS_SUFFIXES = (".fits", ".fit", ".fts")
#: BUNIT values read, and the factor to mK.
BRIGHTNESS_UNITS = {"mk": 1.0, "k": 1000.0}
#: Pixels whose sides differ by more than this fraction are refused (the network takes square cells).
MAX_PIXEL_ASPECT = 0.01


class FitsError(ValueError):
    """The FITS file cannot be used; the message names the problem and what is allowed."""


@dataclasses.dataclass(frozen=True)
class FitsImage:
    """`maps_mk` (H, W) or (N, H, W) float64 in mK; `data_shape` the HDU's own shape; geometry in deg and Mpc."""

    path: str
    maps_mk: np.ndarray
    data_shape: Tuple[int, ...]
    header: object  # astropy.io.fits.Header
    redshift: float
    redshift_source: str
    pixel_deg: float
    cell_size_mpc: float
    unit_factor: float
    warnings: Tuple[str, ...]

    def describe(self) -> str:
        """One line for a HISTORY card and a summary: unit, redshift and pixel scale as read."""
        return (f"input {self.path}: {self.header.get('BUNIT', 'mK (no BUNIT)')} x {self.unit_factor:g} -> mK, "
                f"z = {self.redshift:.4g} ({self.redshift_source}), pixel {self.pixel_deg:.6g} deg = "
                f"{self.cell_size_mpc:.4g} Mpc ({cosmology.TRAINING_COSMOLOGY_NAME})")


def is_fits(path: str) -> bool:
    """True when `path` names a FITS file (by its suffix; .gz-compressed too)."""
    name = path.lower()[:-3] if path.lower().endswith(".gz") else path.lower()
    return name.endswith(FITS_SUFFIXES)


def read_fits_image(path: str, redshift: Optional[float] = None) -> FitsImage:
    """The maps and geometry of the FITS image `path` (module docstring); FitsError says what is wrong."""
    from astropy.io import fits

    try:
        with fits.open(path, memmap=False) as hdus:
            hdu = next((h for h in hdus if h.is_image and h.data is not None and h.data.ndim >= 2), None)
            if hdu is None:
                raise FitsError(f"--input={path} holds no image (no HDU with 2D or higher data)")
            data, header = np.asarray(hdu.data), hdu.header.copy()
    except (OSError, TypeError, ValueError) as error:
        if isinstance(error, FitsError):
            raise
        raise FitsError(f"--input={path} cannot be read as FITS: {error}") from None
    maps = data.reshape(_kept_shape(data.shape, path))
    if maps.dtype.kind not in "fiu" or not np.all(np.isfinite(maps)):
        raise FitsError(f"--input={path} must hold finite numbers (NaN or infinite pixels, or a non-numeric image)")
    warnings = []
    unit = str(header.get("BUNIT", "")).strip()
    if not unit:
        warnings.append(f"--input={path} has no BUNIT: its pixels are taken as mK")
        factor = 1.0
    elif unit.lower() in BRIGHTNESS_UNITS:
        factor = BRIGHTNESS_UNITS[unit.lower()]
    else:
        raise FitsError(f"--input={path} has BUNIT = {unit!r}; give a brightness temperature in K or mK "
                        "(convert Jy/beam with the beam's solid angle first)")
    pixel_deg = _pixel_deg(header, path)
    z, source = _redshift(header, redshift, path)
    cell = cosmology.angle_to_mpc(math.radians(pixel_deg), z)
    return FitsImage(path=path, maps_mk=maps.astype(np.float64) * factor, data_shape=tuple(data.shape),
                     header=header, redshift=z, redshift_source=source, pixel_deg=pixel_deg, cell_size_mpc=cell,
                     unit_factor=factor, warnings=tuple(warnings))


def _kept_shape(shape: Tuple[int, ...], path: str) -> Tuple[int, ...]:
    """The shape without its leading length-1 axes: (H, W) or (N, H, W)."""
    kept = list(shape)
    while len(kept) > 2 and kept[0] == 1:
        kept.pop(0)
    if len(kept) > 3:
        raise FitsError(f"--input={path} has data of shape {shape}; give one image (H, W) or a stack (N, H, W) "
                        "(extra axes of length 1 are dropped)")
    return tuple(kept)


def _pixel_deg(header, path: str) -> float:
    """The side of a pixel in degrees from the WCS of FITS axes 1 and 2."""
    from astropy.wcs import WCS
    from astropy.wcs.utils import proj_plane_pixel_scales

    if not any(key in header for key in ("CDELT1", "CD1_1", "CDELT2", "CD2_2")):
        raise FitsError(f"--input={path} has no pixel scale: its header needs CDELT1/CDELT2 or a CD matrix (degrees)")
    try:
        scales = np.abs(proj_plane_pixel_scales(WCS(header, naxis=2)))
    except Exception as error:  # astropy.wcs raises several types for a malformed header
        raise FitsError(f"--input={path}: its WCS header cannot be read ({error})") from None
    if not np.all(scales > 0) or abs(scales[0] / scales[1] - 1) > MAX_PIXEL_ASPECT:
        raise FitsError(f"--input={path} has pixels of {scales[0]:.6g} x {scales[1]:.6g} deg; the network takes "
                        f"square pixels (sides within {MAX_PIXEL_ASPECT:.0%})")
    return float(scales.mean())


def _redshift(header, given: Optional[float], path: str) -> Tuple[float, str]:
    """(z, where it came from): the flag, the REDSHIFT card or a FREQ axis' CRVAL (Hz, or CUNIT)."""
    if given is not None:
        return float(given), "--redshift"
    if "REDSHIFT" in header:
        return float(header["REDSHIFT"]), "header REDSHIFT"
    for axis in range(1, int(header.get("NAXIS", 0)) + 1):
        if str(header.get(f"CTYPE{axis}", "")).upper().startswith("FREQ"):
            from astropy import units

            unit = units.Unit(str(header.get(f"CUNIT{axis}", "Hz")).strip() or "Hz")
            nu_mhz = (float(header[f"CRVAL{axis}"]) * unit).to_value(units.MHz)
            return cosmology.redshift_of_frequency(nu_mhz), f"header FREQ axis {axis}: {nu_mhz:.6g} MHz"
    raise FitsError(f"--input={path} says nothing of its redshift (no REDSHIFT card, no FREQ axis); give --redshift")


def write_fits_like(path: str, data: np.ndarray, image: FitsImage, history: Sequence[str], bunit: str = "") -> None:
    """Write `data` (reshaped to the input's data shape) under the input's header, BUNIT = `bunit`, plus HISTORY."""
    from astropy.io import fits

    header = image.header.copy()
    for key in ("XTENSION", "PCOUNT", "GCOUNT", "BSCALE", "BZERO", "BLANK"):
        header.remove(key, ignore_missing=True, remove_all=True)
    header["BUNIT"] = bunit
    for line in history:
        header.add_history(line)
    hdu = fits.PrimaryHDU(np.asarray(data, np.float32).reshape(image.data_shape), header=header)
    with atomic_path(path) as temp_path:
        hdu.writeto(temp_path, overwrite=True)
