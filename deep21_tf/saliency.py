"""Vanilla-gradient saliency of AstroNet (paper Sec. IV.5) with tf-keras-vis, one parameter at a time.

For each parameter i a fresh `Saliency` call gives |∂ p̂_i / ∂ x| (x: the normalised 21 cm map, as in training;
p̂_i: the normalised log10 parameter), so no gradient of one parameter leaks into another's map (the paper's
code accumulated them). Maps with several redshift channels keep the largest |gradient| over the channels, and
also each channel's own (`channel_share`: how much of a parameter's summed |gradient| falls on each redshift).
A pixel is salient when its saliency exceeds `threshold` × the map's mean saliency for that parameter.

Files (in the output dir): saliency.npz (maps_21cm_mK (N, H, W, C), saliency (N, P, H, W), saliency_per_channel
(N, P, C, H, W), parameter_names, redshifts, threshold, log10_params_true and log10_params_pred (N, P)) and
fig_saliency_{n}.png per map: its 21 cm map in mK with the salient pixels as red dots (darker = larger), one panel
per parameter, one row per redshift channel (each row that channel's own saliency).
"""
from __future__ import annotations

import os
import warnings
from typing import Optional

import numpy as np
import tensorflow as tf
from tf_keras_vis.saliency import Saliency

from deep21_tf.data import open_builder
from deep21_tf.data.integrity import readable
from deep21_tf.evaluation.data import physical_batches, split_size
from deep21_tf.figures import salient_pixels, saliency_figure, save_figure
from deep21_tf.saliency_files import SALIENCY_FILE, SALIENCY_SUBDIR
from deep21_tf.training.trained_model import TrainedModel
from deep21_tf.util.atomic import atomic_path



def saliency_per_channel(network, maps_normalised: np.ndarray) -> np.ndarray:
    """|∂ output_i / ∂ input| (inference mode) for each output i of `network` and input channel c:
    (N, P, C, H, W), float32, >= 0."""
    saliency, maps = Saliency(network, clone=False), tf.constant(maps_normalised, tf.float32)
    with warnings.catch_warnings():  # tf-keras-vis passes the single input as a list; Keras warns but accepts it
        warnings.filterwarnings("ignore", message="The structure of `inputs` doesn't match")
        per_parameter = [saliency(lambda output, i=i: output[:, i], maps, keepdims=True, gradient_modifier=tf.abs,
                                  normalize_map=False)
                         for i in range(network.output_shape[-1])]
    return np.moveaxis(np.stack(per_parameter, axis=1), -1, 2).astype(np.float32)


def saliency_maps(network, maps_normalised: np.ndarray) -> np.ndarray:
    """|∂ output_i / ∂ input| (inference mode) for each output i of `network`, the largest over the input
    channels (tf-keras-vis' own reduction): (N, P, H, W), float32, >= 0."""
    return saliency_per_channel(network, maps_normalised).max(axis=2)


def channel_share(per_channel: np.ndarray) -> np.ndarray:
    """(P, C): the share of each parameter's summed |gradient| that falls on each channel, mean over the maps of
    `per_channel` (N, P, C, H, W); each row sums to 1."""
    totals = per_channel.sum(axis=(3, 4))  # (N, P, C)
    return (totals / totals.sum(axis=2, keepdims=True)).mean(axis=0)


def run_saliency(model_dir: str, data_dir: str, split: str = "test", num_maps: int = 4, threshold: float = 5.0,
                 output_dir: Optional[str] = None, progress: bool = True) -> dict:
    """Saliency of the AstroNet in `model_dir` on the first `num_maps` maps of `split`; write the files into
    `output_dir` (default MODEL_DIR/saliency) and return a summary (maps, salient pixel fractions, files).
    """
    if num_maps < 1 or not threshold > 0:
        raise ValueError(f"--num_maps={num_maps} and --threshold={threshold} must be >= 1 and > 0")
    model = TrainedModel.load(model_dir)
    if model.kind != "astro":
        raise ValueError(f"--model_dir={model_dir} holds a {model.kind} model; saliency needs an AstroNet model "
                         "(deep21-train --model=astro)")
    builder = open_builder(data_dir, model.info["dataset"])
    model.check_dataset(builder)
    split_size(builder, split)
    batches = physical_batches(builder, split, "astro", num_maps, num_maps, progress)
    with readable(builder):
        maps, true = next(batches, (None, None))
    batches.close()
    if maps is None:
        raise ValueError(f"split {split} holds no maps")
    per_channel = saliency_per_channel(model.network, model.norm.normalize("map_21cm", maps))
    saliency = per_channel.max(axis=2)
    names, cell_size, redshifts = model.info["parameter_names"], model.info["cell_size"], model.info["redshifts"]
    output_dir = output_dir or os.path.join(model_dir, SALIENCY_SUBDIR)
    os.makedirs(output_dir, exist_ok=True)
    files = []
    for index in range(len(maps)):  # one row per redshift channel, each with its own saliency
        files.append(f"fig_saliency_{index}.png")
        save_figure(saliency_figure(np.moveaxis(maps[index], -1, 0), np.swapaxes(per_channel[index], 0, 1), names,
                                    threshold, cell_size, row_titles=[f"z = {z:g}" for z in redshifts],
                                    title=f"{model.info['dataset']} {split} map {index}"),
                    os.path.join(output_dir, files[-1]))
    with atomic_path(os.path.join(output_dir, SALIENCY_FILE)) as temp_path:  # last: its presence means complete
        np.savez(temp_path, maps_21cm_mK=maps, saliency=saliency, saliency_per_channel=per_channel,
                 parameter_names=np.array(names), redshifts=np.array(redshifts), threshold=threshold,
                 log10_params_true=true, log10_params_pred=model.predict(maps))
    files.append(SALIENCY_FILE)
    fractions = salient_pixels(saliency, threshold).mean(axis=(0, 2, 3))
    shares = channel_share(per_channel)
    return dict(num_maps=len(maps), threshold=threshold, output_dir=output_dir, files=files,
                salient_fraction=dict(zip(names, fractions.tolist())),
                channel_share={name: {f"{z:g}": float(v) for z, v in zip(redshifts, row)}
                               for name, row in zip(names, shares)})
