"""Building blocks shared by the U-Net and AstroNet: the paper's unit layer, a pair of them, and the upsampler.

Every layer gets a stable name derived from the block it belongs to (e.g. ``enc1_unit2_conv``), so weights can be
matched by name across models. `weight_decay` attaches coupled L2, as PyTorch's ``Adam(weight_decay=wd)`` does.
"""
from __future__ import annotations

import keras
from keras import layers

#: PyTorch's BatchNorm2d defaults (eps 1e-5, momentum 0.1) expressed in Keras' convention.
BN_EPSILON = 1e-5
BN_MOMENTUM = 0.9


def l2_regularizer(weight_decay: float) -> keras.regularizers.Regularizer | None:
    """L2((wd/2)·||w||²), whose gradient wd·w is PyTorch's coupled weight decay; None when `weight_decay` is 0."""
    return keras.regularizers.L2(weight_decay / 2) if weight_decay else None


def kernel_and_bias_regularizers(weight_decay: float) -> dict:
    """Keyword arguments regularising a layer's kernel and bias (Conv2D, Conv2DTranspose, Dense)."""
    regularizer = l2_regularizer(weight_decay)
    return {"kernel_regularizer": regularizer, "bias_regularizer": regularizer}


def unit_layer(x, filters: int, name: str, weight_decay: float, strides: int = 1):
    """Conv2D 3x3 (padding "same") → BatchNorm → ReLU, named ``{name}_conv``, ``{name}_bn``, ``{name}_relu``."""
    x = layers.Conv2D(filters, 3, strides=strides, padding="same", name=f"{name}_conv",
                      **kernel_and_bias_regularizers(weight_decay))(x)
    regularizer = l2_regularizer(weight_decay)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, momentum=BN_MOMENTUM, gamma_regularizer=regularizer,
                                  beta_regularizer=regularizer, name=f"{name}_bn")(x)
    return layers.ReLU(name=f"{name}_relu")(x)


def double_unit(x, filters: int, block: str, weight_decay: float):
    """Two unit layers of `filters` channels, named ``{block}_unit1_*`` and ``{block}_unit2_*``."""
    for index in (1, 2):
        x = unit_layer(x, filters, f"{block}_unit{index}", weight_decay)
    return x


def upsample(x, filters: int, block: str, weight_decay: float):
    """PyTorch's ConvTranspose2d(kernel 3, stride 2, padding 1, output_padding 1): H x W → 2H x 2W.

    Keras' "valid" transposed conv gives 2H+1 rows where input row i reaches rows 2i..2i+2; dropping the leading
    row and column puts them at 2i-1..2i+1, PyTorch's alignment ("same" would shift by one pixel against the skip).
    """
    x = layers.Conv2DTranspose(filters, 3, strides=2, padding="valid", name=f"{block}_upconv",
                               **kernel_and_bias_regularizers(weight_decay))(x)
    return layers.Cropping2D(((1, 0), (1, 0)), name=f"{block}_upcrop")(x)
