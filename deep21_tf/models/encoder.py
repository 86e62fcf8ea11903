"""The contracting path of the U-Net, a model of its own so that the U-Net and AstroNet can share or swap it."""
from __future__ import annotations

import keras
from keras import layers

from deep21_tf.models.layers import double_unit
from deep21_tf.models.validation import check_input_shape, check_positive_int, check_weight_decay

#: Name of the encoder model, and of the layer it is nested as inside the U-Net and AstroNet.
ENCODER_NAME = "encoder"
#: Encoder levels; level l has base_filters·2^(l-1) channels.
LEVELS = (1, 2, 3)


def build_encoder(input_shape, base_filters: int = 64, weight_decay: float = 0.0) -> keras.Model:
    """Three contracting blocks (2 unit layers + 2x2 max-pool) of base, 2·base, 4·base channels.

    Outputs ``[pooled, skip1, skip2, skip3]``: the last pool (H/8 x W/8 x 4·base) and the pre-pool activations
    of each level (H/2^(l-1) x W/2^(l-1) x base·2^(l-1)). Layers are named ``enc{l}_unit{1,2}_{conv,bn,relu}``
    and ``enc{l}_pool``.
    """
    input_shape = check_input_shape(input_shape)
    base_filters = check_positive_int("base_filters", base_filters)
    weight_decay = check_weight_decay(weight_decay)
    inputs = keras.Input(input_shape, name="map")
    x, skips = inputs, []
    for level in LEVELS:
        x = double_unit(x, base_filters * 2 ** (level - 1), f"enc{level}", weight_decay)
        skips.append(x)
        x = layers.MaxPooling2D(2, name=f"enc{level}_pool")(x)
    return keras.Model(inputs, [x, *skips], name=ENCODER_NAME)
