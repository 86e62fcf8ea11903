"""Copy a trained U-Net's encoder into AstroNet, or every weight of a trained network into a new one of the same
architecture, matching layers and weights by name, never by position."""
from __future__ import annotations

import keras

from deep21_tf.models.encoder import ENCODER_NAME


def transfer_encoder(unet: keras.Model, astronet: keras.Model, trainable: bool) -> None:
    """Copy every encoder weight (BatchNorm moving statistics included) from `unet` to `astronet`; then freeze
    (`trainable=False`: frozen BatchNorm also runs in inference mode) or unfreeze AstroNet's encoder.

    All names and shapes are checked before anything is written; a mismatch raises ValueError naming the layer.
    Compile `astronet` after this call: Keras fixes the trainable weights when it compiles.
    """
    source, target = unet.get_layer(ENCODER_NAME), astronet.get_layer(ENCODER_NAME)
    pairs = _matching_variables(source, target)
    for target_variable, source_variable in pairs:
        target_variable.assign(source_variable)
    target.trainable = bool(trainable)


def _weighted_layers(model: keras.Model) -> dict:
    return {layer.name: layer for layer in model.layers if layer.weights}


def _matching_variables(source: keras.Model, target: keras.Model) -> list:
    """(target, source) variable pairs matched by layer name and variable name, with equal shapes."""
    source_layers, target_layers = _weighted_layers(source), _weighted_layers(target)
    if source_layers.keys() != target_layers.keys():
        raise ValueError(f"encoder layers differ: only in the U-Net {sorted(source_layers.keys() - target_layers)}, "
                         f"only in AstroNet {sorted(target_layers.keys() - source_layers)}")
    pairs = []
    for name, source_layer in source_layers.items():
        source_weights = {variable.name: variable for variable in source_layer.weights}
        target_weights = {variable.name: variable for variable in target_layers[name].weights}
        if source_weights.keys() != target_weights.keys():
            raise ValueError(f"encoder layer {name!r} has weights {sorted(source_weights)} in the U-Net but "
                             f"{sorted(target_weights)} in AstroNet")
        for weight_name, source_variable in source_weights.items():
            target_variable = target_weights[weight_name]
            if tuple(source_variable.shape) != tuple(target_variable.shape):
                raise ValueError(f"encoder layer {name!r} weight {weight_name!r} has shape "
                                 f"{tuple(source_variable.shape)} in the U-Net but {tuple(target_variable.shape)} "
                                 "in AstroNet")
            pairs.append((target_variable, source_variable))
    return pairs


def copy_all_weights(source: keras.Model, target: keras.Model) -> None:
    """Copy every weight (BatchNorm moving statistics included) of `source` into `target`, a network of the same
    architecture: the same weight paths (layer/weight names) with the same shapes, in the same order. A mismatch
    raises ValueError naming the first weight that differs, before anything is written."""
    source_weights, target_weights = list(source.weights), list(target.weights)
    for index in range(max(len(source_weights), len(target_weights))):
        mine = _describe(source_weights, index)
        theirs = _describe(target_weights, index)
        if mine != theirs:
            raise ValueError(f"the networks differ at weight {index}: {mine} in the trained one, {theirs} in the new "
                             "one (another base width, input shape or head?)")
    for target_variable, source_variable in zip(target_weights, source_weights):
        target_variable.assign(source_variable)


def _describe(weights: list, index: int) -> str:
    if index >= len(weights):
        return "nothing"
    return f"{weights[index].path} of shape {tuple(weights[index].shape)}"
