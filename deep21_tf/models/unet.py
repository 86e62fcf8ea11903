"""The paper's U-Net (Sec. III.2): 21 cm map → matter density map of the same size."""
from __future__ import annotations

import keras
from keras import layers

from deep21_tf.models.encoder import build_encoder
from deep21_tf.models.validation import check_positive_int
from deep21_tf.models.layers import double_unit, kernel_and_bias_regularizers, upsample


def build_unet(input_shape, base_filters: int = 64, weight_decay: float = 0.0, output_channels: int = 1) -> keras.Model:
    """Encoder → bottleneck → two expanding blocks → final block; output (H, W, output_channels), linear.

    The bottleneck is 2 unit layers at 8·base + an upsampler to 4·base; expanding block l (l = 3, 2) concatenates
    [upsampled, skip l], applies 2 unit layers at base·2^(l-1) and upsamples; the final block concatenates skip 1,
    applies 2 unit layers at base and a 3x3 conv to `output_channels` (one δ map per redshift channel). With base 64: 8,562,497 trainable parameters.
    Layer names: ``bottleneck_*``, ``dec{3,2}_*``, ``final_*`` (``*_concat``, ``*_unit{1,2}_*``, ``*_upconv``,
    ``*_upcrop``, ``final_conv``); the encoder is nested as the layer ``encoder``.
    """
    check_positive_int("output_channels", output_channels)
    encoder = build_encoder(input_shape, base_filters, weight_decay)
    inputs = keras.Input(encoder.input_shape[1:], name="map")
    x, *skips = encoder(inputs)
    x = double_unit(x, 8 * base_filters, "bottleneck", weight_decay)
    x = upsample(x, 4 * base_filters, "bottleneck", weight_decay)
    for level in (3, 2):
        x = layers.Concatenate(name=f"dec{level}_concat")([x, skips[level - 1]])
        x = double_unit(x, base_filters * 2 ** (level - 1), f"dec{level}", weight_decay)
        x = upsample(x, base_filters * 2 ** (level - 2), f"dec{level}", weight_decay)
    x = layers.Concatenate(name="final_concat")([x, skips[0]])
    x = double_unit(x, base_filters, "final", weight_decay)
    # float32 output even under a mixed-precision policy (the loss and the denormalisation need its range)
    outputs = layers.Conv2D(output_channels, 3, padding="same", name="final_conv", dtype="float32",
                            **kernel_and_bias_regularizers(weight_decay))(x)
    return keras.Model(inputs, outputs, name="unet")
