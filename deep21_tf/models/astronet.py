"""AstroNet (Table III): the U-Net's encoder plus a small regressor for the three astrophysical parameters."""
from __future__ import annotations

import keras
from keras import layers

from deep21_tf.models.encoder import build_encoder
from deep21_tf.models.layers import kernel_and_bias_regularizers, unit_layer
from deep21_tf.models.validation import (check_input_shape, check_positive_int, check_rate,
                                         check_weight_decay)

#: Channels of the three stride-2 unit layers, in units of base_filters (512, 1024, 1024 for base 64).
HEAD_WIDTHS = (8, 16, 16)
#: Width of the hidden fully connected layer.
HIDDEN_UNITS = 100


def build_astronet(input_shape, base_filters: int = 64, num_outputs: int = 3, dropout: float = 0.2,
                   weight_decay: float = 0.0, encoder: keras.Model | None = None,
                   head_moments: bool = False, remove_map_mean: bool = False) -> keras.Model:
    """Encoder → 3 stride-2 unit layers → Flatten → Dense 100 + ReLU → Dropout → Dense `num_outputs` (linear).

    `remove_map_mean`: each input channel's mean over the map is subtracted first (``map_mean``,
    ``map_minus_mean``), so the network cannot use it — what an interferometer, which has no zero spacing, sees.
    `head_moments`: the Dense 100 layer also sees each input channel's mean and mean square over the map
    (``head_map_mean``, ``head_map_mean_square``, joined in ``head_features``) — the global signal, which the
    paper's head can only infer from the encoder's features.

    Pass `encoder` (e.g. ``unet.get_layer("encoder")``) to share that model's weights instead of building a new
    one; it must take `input_shape` and output 4·`base_filters` channels, and keeps its own regularisers.
    With base 64 at 200x200x1: 18,127,955 trainable parameters. Layer names: ``head_unit{1,2,3}_*``,
    ``head_flatten``, ``head_dense``, ``head_relu``, ``head_dropout``, ``params``; the encoder is the layer
    ``encoder``.
    """
    input_shape = check_input_shape(input_shape)
    base_filters = check_positive_int("base_filters", base_filters)
    num_outputs = check_positive_int("num_outputs", num_outputs)
    dropout = check_rate("dropout", dropout)
    weight_decay = check_weight_decay(weight_decay)
    if encoder is None:
        encoder = build_encoder(input_shape, base_filters, weight_decay)
    else:
        _check_encoder(encoder, input_shape, base_filters)
    inputs = keras.Input(input_shape, name="map")
    maps = without_map_mean(inputs) if remove_map_mean else inputs
    x = encoder(maps)[0]
    for index, width in enumerate(HEAD_WIDTHS, start=1):
        x = unit_layer(x, width * base_filters, f"head_unit{index}", weight_decay, strides=2)
    x = layers.Flatten(name="head_flatten")(x)
    if head_moments:
        x = layers.Concatenate(name="head_features")([x, *map_moments(maps)])
    x = layers.Dense(HIDDEN_UNITS, name="head_dense", **kernel_and_bias_regularizers(weight_decay))(x)
    x = layers.ReLU(name="head_relu")(x)
    x = layers.Dropout(dropout, name="head_dropout")(x)
    outputs = layers.Dense(num_outputs, name="params", dtype="float32",  # float32 even under mixed precision
                           **kernel_and_bias_regularizers(weight_decay))(x)
    return keras.Model(inputs, outputs, name="astronet")


def without_map_mean(maps):
    """`maps` (batch, height, width, channels) less each map's mean per channel, from Keras' own layers."""
    mean = layers.GlobalAveragePooling2D(keepdims=True, name="map_mean")(maps)
    return layers.Subtract(name="map_minus_mean")([maps, mean])


def map_moments(maps) -> list:
    """[mean, mean square] of each channel of `maps` (batch, height, width, channels) over the map, from Keras'
    own layers (a model holding them loads with safe_mode)."""
    mean = layers.GlobalAveragePooling2D(name="head_map_mean")(maps)
    square = layers.Multiply(name="head_map_square")([maps, maps])
    return [mean, layers.GlobalAveragePooling2D(name="head_map_mean_square")(square)]


def _check_encoder(encoder: keras.Model, input_shape: tuple[int, int, int], base_filters: int) -> None:
    """Raise ValueError unless `encoder` takes `input_shape` and its pooled output has 4·`base_filters` channels."""
    encoder_input = tuple(encoder.input_shape[1:])
    if encoder_input != input_shape:
        raise ValueError(f"encoder {encoder.name!r} takes input shape {encoder_input}, AstroNet was asked for "
                         f"{input_shape}")
    channels = encoder.output_shape[0][-1]
    if channels != 4 * base_filters:
        raise ValueError(f"encoder {encoder.name!r} outputs {channels} channels; base_filters={base_filters} "
                         f"needs {4 * base_filters}")
