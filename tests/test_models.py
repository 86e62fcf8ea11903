"""The Keras networks: exact sizes of the paper's networks, shapes, input checks, PyTorch-aligned upsampling,
encoder transfer (frozen and trainable, with one real training step), coupled L2 and .keras round trips."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from deep21_tf.models import build_astronet, build_encoder, build_unet, copy_all_weights, transfer_encoder
from deep21_tf.models.layers import upsample


def count(weights) -> int:
    return sum(int(np.prod(weight.shape)) for weight in weights)


def randomise(model: keras.Model, seed: int) -> None:
    """Give every weight, BatchNorm moving statistics included, distinct random values (positive BatchNorm scales
    and variances, so activations stay alive)."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        low = 0.5 if variable.name in ("gamma", "moving_variance") else -0.5
        variable.assign(rng.uniform(low, low + 1.0, variable.shape).astype("float32"))


def encoder_values(model: keras.Model) -> dict[str, np.ndarray]:
    """Every encoder weight of `model` by its layer/variable name."""
    encoder = model.get_layer("encoder")
    return {f"{layer.name}/{variable.name}": variable.numpy()
            for layer in encoder.layers for variable in layer.weights}


def random_maps(number: int, size: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(number, size, size, 1)).astype("float32")


# ---- sizes of the paper's networks -------------------------------------------------------------------------------

def test_unet_has_the_reference_parameter_counts():
    unet = build_unet((200, 200, 1))
    assert count(unet.trainable_weights) == 8_562_497
    assert count(unet.non_trainable_weights) == 5_632  # BatchNorm moving mean and variance
    assert unet.output_shape == (None, 200, 200, 1)


def test_astronet_matches_table_iii():
    astronet = build_astronet((200, 200, 1))
    assert count(astronet.trainable_weights) == 18_127_955
    assert astronet.get_layer("encoder").output_shape[0] == (None, 25, 25, 256)
    assert [astronet.get_layer(f"head_unit{i}_relu").output.shape for i in (1, 2, 3)] == [
        (None, 13, 13, 512), (None, 7, 7, 1024), (None, 4, 4, 1024)]
    assert astronet.get_layer("head_dense").units == 100
    assert astronet.get_layer("head_dropout").rate == pytest.approx(0.2)
    assert astronet.output_shape == (None, 3)


def test_unit_layers_use_pytorch_batchnorm_defaults():
    bn = build_encoder((16, 16, 1), base_filters=2).get_layer("enc1_unit1_bn")
    assert bn.epsilon == pytest.approx(1e-5)
    assert bn.momentum == pytest.approx(0.9)


# ---- shapes ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("height, width, channels, base", [(32, 32, 1, 8), (64, 64, 1, 4), (200, 200, 1, 4),
                                                           (32, 48, 2, 4)])
def test_output_shapes(height, width, channels, base):
    maps = np.random.default_rng(1).normal(size=(2, height, width, channels)).astype("float32")
    unet = build_unet((height, width, channels), base_filters=base)
    astronet = build_astronet((height, width, channels), base_filters=base)
    density = unet.predict(maps, verbose=0)
    params = astronet.predict(maps, verbose=0)
    assert density.shape == (2, height, width, 1)
    assert params.shape == (2, 3)
    assert np.all(np.isfinite(density)) and np.all(np.isfinite(params))


def test_encoder_outputs_pooled_map_and_three_skips():
    encoder = build_encoder((32, 40, 3), base_filters=4)
    assert encoder.name == "encoder"
    assert encoder.output_shape == [(None, 4, 5, 16), (None, 32, 40, 4), (None, 16, 20, 8), (None, 8, 10, 16)]
    for model in (build_unet((32, 40, 3), base_filters=4), build_astronet((32, 40, 3), base_filters=4)):
        assert isinstance(model.get_layer("encoder"), keras.Model)


def test_head_moments_feed_each_channels_mean_and_mean_square_to_the_dense_layer(tmp_path):
    astronet = build_astronet((16, 16, 2), base_filters=2, head_moments=True)
    paper = build_astronet((16, 16, 2), base_filters=2)
    flat = paper.get_layer("head_flatten").output.shape[-1]
    assert astronet.get_layer("head_features").output.shape == (None, flat + 4)  # 2 channels x (mean, mean square)
    maps = np.random.default_rng(2).normal(3.0, 2.0, (2, 16, 16, 2)).astype("float32")
    moments = keras.Model(astronet.input, [astronet.get_layer("head_map_mean").output,
                                           astronet.get_layer("head_map_mean_square").output])
    mean, mean_square = (np.asarray(t) for t in moments(maps))
    np.testing.assert_allclose(mean, maps.mean(axis=(1, 2)), rtol=1e-5)
    np.testing.assert_allclose(mean_square, np.square(maps).mean(axis=(1, 2)), rtol=1e-5)
    path = str(tmp_path / "astro.keras")
    astronet.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(maps, verbose=0), astronet.predict(maps, verbose=0), rtol=1e-5)


def test_num_outputs_sets_the_regressor_width():
    assert build_astronet((16, 16, 1), base_filters=2, num_outputs=5).output_shape == (None, 5)


@pytest.mark.parametrize("row, col", [(1, 2), (0, 0), (3, 3)])
def test_upsampling_has_pytorch_alignment(row, col):
    """PyTorch's ConvTranspose2d(3, stride 2, padding 1, output_padding 1) sends input pixel i to rows 2i-1..2i+1."""
    inputs = keras.Input((4, 4, 1))
    model = keras.Model(inputs, upsample(inputs, 1, "probe", weight_decay=0.0))
    conv = model.get_layer("probe_upconv")
    conv.kernel.assign(np.ones(conv.kernel.shape, "float32"))
    conv.bias.assign(np.zeros(conv.bias.shape, "float32"))
    delta = np.zeros((1, 4, 4, 1), "float32")
    delta[0, row, col, 0] = 1.0
    output = model(delta).numpy()[0, :, :, 0]
    assert output.shape == (8, 8)
    rows, cols = np.nonzero(output)
    assert set(rows) == {r for r in (2 * row - 1, 2 * row, 2 * row + 1) if 0 <= r < 8}
    assert set(cols) == {c for c in (2 * col - 1, 2 * col, 2 * col + 1) if 0 <= c < 8}


# ---- argument checks ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("builder", [build_unet, build_astronet, build_encoder])
@pytest.mark.parametrize("shape, shown", [((60, 60, 1), "60x60"), ((30, 32, 1), "30x32"), ((32, 30, 1), "32x30"),
                                          ((0, 8, 1), "0x8"), ((4, 4, 1), "4x4")])
def test_sizes_not_divisible_by_8_are_rejected(builder, shape, shown):
    with pytest.raises(ValueError, match="divisible by 8") as error:
        builder(shape, base_filters=2)
    assert shown in str(error.value)


@pytest.mark.parametrize("kwargs, message", [
    ({"input_shape": (32, 32, 0)}, "channels must be at least 1"),
    ({"input_shape": (32, 32)}, r"\(height, width, channels\)"),
    ({"input_shape": (32.0, 32, 1)}, r"\(height, width, channels\)"),
    ({"base_filters": 0}, "base_filters must be an integer >= 1"),
    ({"weight_decay": -1e-4}, "weight_decay must be a finite number >= 0"),
])
@pytest.mark.parametrize("builder", [build_unet, build_astronet])
def test_bad_arguments_are_rejected(builder, kwargs, message):
    with pytest.raises(ValueError, match=message):
        builder(**{"input_shape": (32, 32, 1), "base_filters": 2, **kwargs})


def test_bad_astronet_arguments_are_rejected():
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        build_astronet((16, 16, 1), base_filters=2, dropout=1.0)
    with pytest.raises(ValueError, match="num_outputs must be an integer >= 1"):
        build_astronet((16, 16, 1), base_filters=2, num_outputs=0)


# ---- sharing and transferring the encoder ------------------------------------------------------------------------

def test_astronet_can_share_the_unet_encoder():
    unet = build_unet((16, 16, 1), base_filters=2)
    astronet = build_astronet((16, 16, 1), base_filters=2, encoder=unet.get_layer("encoder"))
    randomise(unet, seed=3)
    assert astronet.get_layer("encoder") is unet.get_layer("encoder")
    for name, value in encoder_values(unet).items():
        np.testing.assert_array_equal(encoder_values(astronet)[name], value, err_msg=name)


def test_sharing_a_mismatched_encoder_is_rejected():
    encoder = build_encoder((16, 16, 1), base_filters=2)
    with pytest.raises(ValueError, match=r"takes input shape \(16, 16, 1\).*\(32, 32, 1\)"):
        build_astronet((32, 32, 1), base_filters=2, encoder=encoder)
    with pytest.raises(ValueError, match="outputs 8 channels; base_filters=4 needs 16"):
        build_astronet((16, 16, 1), base_filters=4, encoder=encoder)


def test_transfer_copies_every_encoder_weight_by_name():
    unet = build_unet((16, 16, 2), base_filters=2)
    astronet = build_astronet((16, 16, 2), base_filters=2)
    randomise(unet, seed=4)
    source = encoder_values(unet)
    assert len(source) == 6 * 6  # 6 unit layers: conv kernel and bias, BN gamma, beta, moving mean and variance
    assert any(not np.array_equal(encoder_values(astronet)[name], value) for name, value in source.items())
    transfer_encoder(unet, astronet, trainable=False)
    target = encoder_values(astronet)
    assert target.keys() == source.keys()
    for name, value in source.items():
        np.testing.assert_array_equal(target[name], value, err_msg=name)
    assert not astronet.get_layer("encoder").trainable
    transfer_encoder(unet, astronet, trainable=True)
    assert astronet.get_layer("encoder").trainable


@pytest.mark.parametrize("trainable", [False, True])
def test_one_training_step_respects_a_frozen_or_trainable_encoder(trainable):
    unet = build_unet((16, 16, 1), base_filters=2)
    astronet = build_astronet((16, 16, 1), base_filters=2)
    randomise(unet, seed=5)
    transfer_encoder(unet, astronet, trainable=trainable)
    astronet.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    maps, params = random_maps(6, 16, seed=6), np.random.default_rng(7).normal(size=(6, 3)).astype("float32")
    features = astronet.get_layer("encoder").predict(maps, verbose=0)[0]
    assert np.ptp(features, axis=0).max() > 0  # the encoder feeds the head something that varies: a real step
    before = encoder_values(astronet)
    head_before = astronet.get_layer("head_dense").kernel.numpy()
    astronet.fit(maps, params, batch_size=6, epochs=1, verbose=0)
    after = encoder_values(astronet)
    assert not np.array_equal(astronet.get_layer("head_dense").kernel.numpy(), head_before)
    if trainable:
        assert not np.array_equal(after["enc1_unit1_conv/kernel"], before["enc1_unit1_conv/kernel"])
        assert not np.array_equal(after["enc3_unit2_bn/moving_mean"], before["enc3_unit2_bn/moving_mean"])
    else:  # frozen BatchNorm runs in inference mode: its moving statistics stay as well
        for name, value in before.items():
            np.testing.assert_array_equal(after[name], value, err_msg=name)


def test_transfer_between_mismatched_widths_is_rejected():
    unet = build_unet((16, 16, 1), base_filters=2)
    astronet = build_astronet((16, 16, 1), base_filters=4)
    with pytest.raises(ValueError, match=r"encoder layer 'enc1_unit1_conv' weight 'kernel' has shape "
                                         r"\(3, 3, 1, 2\) in the U-Net but \(3, 3, 1, 4\) in AstroNet"):
        transfer_encoder(unet, astronet, trainable=False)


def test_failed_transfer_writes_nothing():
    """Only the first conv differs (1 vs 2 input channels); the matching layers after it must stay untouched."""
    unet = build_unet((16, 16, 1), base_filters=2)
    astronet = build_astronet((16, 16, 2), base_filters=2)
    randomise(unet, seed=8)
    before = encoder_values(astronet)
    with pytest.raises(ValueError, match="'enc1_unit1_conv'"):
        transfer_encoder(unet, astronet, trainable=False)
    for name, value in encoder_values(astronet).items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    assert astronet.get_layer("encoder").trainable


def test_transfer_needs_an_encoder_layer():
    unet = build_unet((16, 16, 1), base_filters=2)
    with pytest.raises(ValueError, match="encoder"):
        transfer_encoder(unet, unet.get_layer("encoder"), trainable=False)


# ---- weight decay ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("builder", [build_unet, build_astronet])
def test_weight_decay_adds_coupled_l2_on_every_trainable_weight(builder):
    weight_decay = 1e-2
    model = builder((16, 16, 1), base_filters=2, weight_decay=weight_decay)
    randomise(model, seed=9)
    expected = weight_decay / 2 * sum(float(np.sum(np.square(w.numpy()))) for w in model.trainable_weights)
    assert len(model.losses) == len(model.trainable_weights)
    assert float(sum(float(loss) for loss in model.losses)) == pytest.approx(expected, rel=1e-5)
    assert builder((16, 16, 1), base_filters=2).losses == []


# ---- serialisation -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("builder", [build_unet, build_astronet])
def test_keras_file_round_trip_in_safe_mode(builder, tmp_path):
    model = builder((16, 24, 2), base_filters=2, weight_decay=1e-4)
    randomise(model, seed=10)
    path = str(tmp_path / f"{model.name}.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    maps = np.random.default_rng(11).normal(size=(3, 16, 24, 2)).astype("float32")
    assert [layer.name for layer in loaded.get_layer("encoder").layers] == [
        layer.name for layer in model.get_layer("encoder").layers]
    np.testing.assert_allclose(loaded.predict(maps, verbose=0), model.predict(maps, verbose=0), rtol=1e-5, atol=1e-6)
    assert len(loaded.losses) == len(model.losses)


def test_remove_map_mean_makes_astronet_blind_to_each_maps_mean(tmp_path):
    blind = build_astronet((16, 16, 2), base_filters=2, remove_map_mean=True, head_moments=True)
    paper = build_astronet((16, 16, 2), base_filters=2, head_moments=True)
    maps = np.random.default_rng(3).normal(0.0, 1.0, (2, 16, 16, 2)).astype("float32")
    offsets = np.array([[1.5, -0.5], [-2.0, 3.0]], np.float32)[:, None, None, :]  # per map and channel
    np.testing.assert_allclose(blind.predict(maps + offsets, verbose=0), blind.predict(maps, verbose=0), atol=1e-5)
    assert not np.allclose(paper.predict(maps + offsets, verbose=0), paper.predict(maps, verbose=0), atol=1e-5)
    centred = keras.Model(blind.input, blind.get_layer("map_minus_mean").output)(maps + offsets)
    np.testing.assert_allclose(np.asarray(centred), maps - maps.mean(axis=(1, 2), keepdims=True), atol=1e-5)
    path = str(tmp_path / "blind.keras")
    blind.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(maps, verbose=0), blind.predict(maps, verbose=0), rtol=1e-5)


def test_copy_all_weights_makes_the_same_network_or_names_the_first_difference():
    trained, fresh = build_unet((16, 16, 1), base_filters=2), build_unet((16, 16, 1), base_filters=2)
    maps = np.random.default_rng(5).normal(size=(2, 16, 16, 1)).astype("float32")
    assert not np.allclose(trained.predict(maps, verbose=0), fresh.predict(maps, verbose=0))
    copy_all_weights(trained, fresh)
    np.testing.assert_array_equal(trained.predict(maps, verbose=0), fresh.predict(maps, verbose=0))
    wider = build_unet((16, 16, 1), base_filters=4)
    before = [np.asarray(w) for w in wider.weights]
    with pytest.raises(ValueError, match=r"differ at weight 0: enc1_unit1_conv/kernel of shape \(3, 3, 1, 2\) in "
                                         r"the trained one, enc1_unit1_conv/kernel of shape \(3, 3, 1, 4\)"):
        copy_all_weights(trained, wider)
    assert all(np.array_equal(a, np.asarray(b)) for a, b in zip(before, wider.weights))  # nothing written
