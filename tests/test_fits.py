"""FITS images in and out of deep21-predict: pixel scale from the WCS, redshift from the header, comoving Mpc from
the training cosmology, δ written back under the input's header, warnings and errors."""
from __future__ import annotations

import numpy as np
import pytest
from astropy.cosmology import Planck18
from astropy.io import fits

from deep21_tf.data.normalization import Normalization
from deep21_tf.fits_image import FitsError, read_fits_image, write_fits_like
from deep21_tf.predict import run_prediction
from deep21_tf.training import run_files
from deep21_tf.util.paths import SHIPPED_UNET_DIR
from tests.conftest import run_cli

Z = 15.0


def degrees_per_pixel(cell_mpc: float, z: float = Z) -> float:
    return float(np.degrees(cell_mpc / Planck18.comoving_distance(z).to_value("Mpc")))


def write_image(path, maps_k: np.ndarray, cell_mpc: float = 1.5, cd_matrix: bool = False, **cards) -> None:
    """A radio-style image: (1, 1, H, W) data (Stokes and frequency axes of length 1), SIN projection, in K."""
    header = fits.Header()
    scale = degrees_per_pixel(cell_mpc)
    for axis, (ctype, value) in enumerate((("RA---SIN", 150.0), ("DEC--SIN", -30.0), ("FREQ", 88.7753594855e6),
                                           ("STOKES", 1.0)), start=1):
        header[f"CTYPE{axis}"], header[f"CRVAL{axis}"], header[f"CRPIX{axis}"] = ctype, value, 1.0
    if cd_matrix:
        header.update(CD1_1=-scale, CD1_2=0.0, CD2_1=0.0, CD2_2=scale)
    else:
        header.update(CDELT1=-scale, CDELT2=scale)
    header.update(CDELT3=2.7e5, CDELT4=1.0, CUNIT3="Hz", BUNIT="K", TELESCOP="SKA-Low", OBJECT="EoR deep field")
    header.update(cards)
    fits.PrimaryHDU(maps_k.astype(np.float32)[np.newaxis, np.newaxis], header=header).writeto(path)


@pytest.mark.parametrize("cd_matrix", [False, True])
def test_a_fits_image_is_read_in_mk_with_its_geometry_and_written_back_under_its_header(tmp_path, cd_matrix):
    rng = np.random.default_rng(0)
    maps_k = rng.normal(0, 0.02, (64, 64))
    write_image(tmp_path / "in.fits", maps_k, cd_matrix=cd_matrix)
    image = read_fits_image(str(tmp_path / "in.fits"))
    assert image.maps_mk.shape == (64, 64) and image.data_shape == (1, 1, 64, 64)
    assert np.allclose(image.maps_mk, 1000 * maps_k.astype(np.float32))
    assert np.isclose(image.redshift, Z, atol=1e-6) and image.redshift_source.startswith("header FREQ axis 3")
    assert np.isclose(image.cell_size_mpc, 1.5, rtol=1e-6)
    delta = rng.normal(size=(64, 64))
    write_fits_like(str(tmp_path / "out.fits"), delta, image, ["made by a test", "second line"])
    with fits.open(tmp_path / "in.fits") as original, fits.open(tmp_path / "out.fits") as written:
        before, after = original[0].header, written[0].header
        assert written[0].data.shape == (1, 1, 64, 64)
        assert np.allclose(written[0].data[0, 0], delta.astype(np.float32))
        assert list(after["HISTORY"]) == ["made by a test", "second line"] and after["BUNIT"] == ""
        for key in before:
            if key not in ("BUNIT", "HISTORY", "BITPIX"):
                assert after[key] == before[key], key
    assert np.isclose(read_fits_image(str(tmp_path / "out.fits"), redshift=Z).cell_size_mpc, 1.5)


def test_the_redshift_comes_from_the_flag_then_the_header(tmp_path):
    write_image(tmp_path / "in.fits", np.zeros((16, 16)), REDSHIFT=14.0)
    assert read_fits_image(str(tmp_path / "in.fits")).redshift == 14.0
    assert read_fits_image(str(tmp_path / "in.fits"), redshift=15.5).redshift_source == "--redshift"


@pytest.mark.parametrize("cards, message", [
    (dict(BUNIT="Jy/beam"), "BUNIT = 'Jy/beam'; give a brightness temperature in K or mK"),
    (dict(CDELT2=2 * degrees_per_pixel(1.5)), "the network takes square pixels"),
])
def test_unusable_fits_images_are_one_clear_error(tmp_path, cards, message):
    write_image(tmp_path / "in.fits", np.zeros((16, 16)), **cards)
    with pytest.raises(FitsError, match=message.replace("(", r"\(")):
        read_fits_image(str(tmp_path / "in.fits"))


def test_an_image_without_pixel_scale_or_redshift_is_refused(tmp_path):
    fits.PrimaryHDU(np.zeros((16, 16), np.float32)).writeto(tmp_path / "bare.fits")
    with pytest.raises(FitsError, match="no pixel scale"):
        read_fits_image(str(tmp_path / "bare.fits"))
    header = fits.Header(dict(CDELT1=-1e-3, CDELT2=1e-3, BUNIT="mK"))
    fits.PrimaryHDU(np.zeros((16, 16), np.float32), header=header).writeto(tmp_path / "noz.fits")
    with pytest.raises(FitsError, match="give --redshift"):
        read_fits_image(str(tmp_path / "noz.fits"))


def shipped_like_maps(rng) -> np.ndarray:
    """Maps (64, 64) in K with the shipped U-Net's training mean and spread (in mK)."""
    norm = Normalization.from_dict(run_files.read(SHIPPED_UNET_DIR, run_files.NORMALIZATION_FILE))
    return (norm.map_21cm_mean[0] + norm.map_21cm_std[0] * rng.normal(size=(64, 64))) / 1000.0


def test_deep21_predict_turns_a_fits_image_into_delta_under_the_same_header(tmp_path):
    maps_k = shipped_like_maps(np.random.default_rng(1))
    write_image(tmp_path / "image.fits", maps_k)
    np.save(tmp_path / "image.npy", (maps_k * 1000).astype(np.float32))
    warnings = []
    summary = run_prediction(SHIPPED_UNET_DIR, str(tmp_path / "image.fits"), str(tmp_path / "delta.fits"),
                             tta=True, warn=warnings.append)
    run_prediction(SHIPPED_UNET_DIR, str(tmp_path / "image.npy"), str(tmp_path / "delta.npy"))
    assert len(warnings) == 1 and "trained on noiseless simulated maps" in warnings[0]  # the geometry matches
    assert np.isclose(summary["fits_input"]["cell_size_mpc"], 1.5) and summary["instrument"] == {"telescope": "none"}
    with fits.open(tmp_path / "image.fits") as original, fits.open(tmp_path / "delta.fits") as written, \
            fits.open(tmp_path / "delta_std.fits") as spread:
        assert written[0].data.shape == original[0].data.shape == spread[0].data.shape
        history = " ".join(written[0].header["HISTORY"])
        assert "deep21-predict" in history and "z = 15" in history and "1.5 Mpc (Planck18)" in history
        assert "D4 test-time averaging: yes" in history and written[0].header["OBJECT"] == "EoR deep field"
        assert np.all(spread[0].data >= 0)
    # the same maps as an .npy give the same δ: the FITS route only reads and writes
    run_prediction(SHIPPED_UNET_DIR, str(tmp_path / "image.fits"), str(tmp_path / "plain.fits"))
    with fits.open(tmp_path / "plain.fits") as plain:
        assert np.allclose(plain[0].data[0, 0], np.load(tmp_path / "delta.npy"), atol=1e-5)


def test_a_pixel_scale_unlike_the_models_cells_gets_the_warning(tmp_path):
    write_image(tmp_path / "coarse.fits", shipped_like_maps(np.random.default_rng(2)), cell_mpc=3.0)
    warnings = []
    run_prediction(SHIPPED_UNET_DIR, str(tmp_path / "coarse.fits"), str(tmp_path / "delta.npy"), warn=warnings.append)
    scale = [w for w in warnings if "the image's pixels are" in w]
    assert len(scale) == 1 and "= 3 Mpc at z = 15" in scale[0] and "training maps 1.5 Mpc per pixel" in scale[0]


def test_a_bad_fits_input_fails_in_one_line_and_writes_nothing(tmp_path):
    write_image(tmp_path / "jy.fits", np.zeros((64, 64)), BUNIT="Jy/beam")
    result = run_cli("deep21_tf.apps.predict", f"--input={tmp_path / 'jy.fits'}", f"--output={tmp_path / 'd.fits'}",
                     check=False)
    assert result.returncode == 2 and "give a brightness temperature in K or mK" in result.stderr
    assert not (tmp_path / "d.fits").exists()
