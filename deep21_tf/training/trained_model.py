"""A trained model directory as one object: its description, its normalisation and its network, predicting in
physical units (21 cm maps in mK in; δ, or log10 parameters in their physical units, out) for maps of any size
the network takes.

The network comes from the self-contained `exported.keras` (the one model file a user gets; the normalised
network is nested inside it), so evaluation, saliency and prediction all use the artefact that ships.

The U-Net is fully convolutional, but a Keras functional model is fixed to the map size it was built for, so
for other sizes (multiples of 8) the same architecture is rebuilt at that size and given the trained weights.
AstroNet's Dense layer fixes its input size: it takes the training size only.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Dict, Tuple

import keras
import numpy as np

from deep21_tf.contracts import INFERENCE_BATCH_SIZE, MODEL_TARGET_FIELD
from deep21_tf.data import Normalization
from deep21_tf.data import metadata
from deep21_tf.data.metadata import map_shape
from deep21_tf.data.d4 import d4_average
from deep21_tf.models import build_unet
from deep21_tf.models.validation import check_input_shape
from deep21_tf.training import run_files


@dataclasses.dataclass
class TrainedModel:
    """`info`: model_info.json; `norm`: the train-split statistics; `network`: normalised maps in and out."""

    model_dir: str
    info: dict
    norm: Normalization
    network: keras.Model
    base_filters: int
    _resized: Dict[Tuple[int, int, int], keras.Model] = dataclasses.field(default_factory=dict, repr=False)

    @classmethod
    def load(cls, model_dir: str) -> "TrainedModel":
        """Load `model_dir` (see `deep21_tf.training.run_files`); FileNotFoundError when it holds no trained model."""
        info = run_files.read(model_dir, run_files.INFO_FILE)
        norm = Normalization.from_dict(run_files.read(model_dir, run_files.NORMALIZATION_FILE))
        exported_path = run_files.path(model_dir, run_files.EXPORTED_FILE)
        if not os.path.isfile(exported_path):
            raise FileNotFoundError(f"{model_dir} holds no trained model ({run_files.EXPORTED_FILE} is missing)")
        exported = keras.saving.load_model(exported_path, safe_mode=True, compile=False)
        network = next(layer for layer in exported.layers if isinstance(layer, keras.Model))
        return cls(model_dir, info, norm, network, int(info["base_filters"]))

    @property
    def kind(self) -> str:
        """"unet" or "astro"."""
        return self.info["model"]

    @property
    def input_shape(self) -> Tuple[int, int, int]:
        """(H, W, C) of the training maps."""
        return tuple(self.info["input_shape"])

    def check_dataset(self, builder) -> float:
        """The prepared dataset's map side (Mpc), after checking its maps have the model's size, channels and box."""
        shape, box_length = tuple(map_shape(builder)), metadata.box_length(builder)
        if shape != self.input_shape or not np.isclose(box_length, self.info["box_len"]):
            raise ValueError(f"the dataset's maps ({shape}, {box_length:g} Mpc) differ from the model's training "
                             f"maps ({self.input_shape}, {self.info['box_len']:g} Mpc)")
        return box_length

    def network_for(self, shape) -> keras.Model:
        """The network taking maps of `shape` (H, W, C): the trained one, or the U-Net rebuilt at that size."""
        shape = tuple(int(size) for size in shape)
        if shape == self.input_shape:
            return self.network
        if shape[-1] != self.input_shape[-1]:
            raise ValueError(f"the model takes maps with {self.input_shape[-1]} channel(s) (redshifts "
                             f"{self.info['redshifts']}); got {shape[-1]}")
        if self.kind != "unet":
            raise ValueError(f"AstroNet takes {self.input_shape[0]}x{self.input_shape[1]} maps only (its dense layer "
                             f"fixes the size); got {shape[0]}x{shape[1]}")
        if shape not in self._resized:
            network = build_unet(check_input_shape(shape), self.base_filters, output_channels=shape[-1])
            network.set_weights(self.network.get_weights())
            self._resized[shape] = network
        return self._resized[shape]

    def predict(self, maps_mK: np.ndarray, batch_size: int = INFERENCE_BATCH_SIZE) -> np.ndarray:
        """δ maps (N, H, W, C) or log10 parameters (N, 3) in physical units, for 21 cm maps (N, H, W, C) in mK."""
        maps_mK = np.asarray(maps_mK, dtype=np.float32)
        network = self.network_for(maps_mK.shape[1:])
        normalised = network.predict(self.norm.normalize("map_21cm", maps_mK), batch_size=batch_size, verbose=0)
        return self.norm.denormalize(MODEL_TARGET_FIELD[self.kind], normalised)

    def predict_tta(self, maps_mK: np.ndarray, batch_size: int = INFERENCE_BATCH_SIZE) -> Tuple[np.ndarray, np.ndarray]:
        """Mean and std of `predict` over the 8 D4 transforms of each map (see `data.d4.d4_average`)."""
        return d4_average(lambda maps: self.predict(maps, batch_size), np.asarray(maps_mK, dtype=np.float32),
                          spatial_output=self.kind == "unet")

