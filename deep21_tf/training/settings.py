"""The settings of a training run (the paper's recipe by default) and their validation."""
from __future__ import annotations

import dataclasses
from typing import Optional

from deep21_tf.contracts import (DATASET_CONFIGS, DEFAULT_DATASET, ENCODERS, LR_SCHEDULES, MODEL_KINDS,
                                 holds_density)
from deep21_tf.instrument.settings import NO_TELESCOPE, InstrumentSettings


@dataclasses.dataclass(frozen=True)
class TrainSettings:
    """What to train, on which data, how. Defaults are the paper's (Sec. III.3): MSE, Adam lr 1e-3,
    β = (0.5, 0.999), coupled L2 weight decay 1e-4, batch 30, 40 epochs, lr ×0.1 after 10 stalled epochs."""

    data_dir: str
    dataset: str = DEFAULT_DATASET
    model: str = "unet"
    encoder: str = "trainable"
    unet_dir: Optional[str] = None
    init_from: Optional[str] = None  # a trained model dir of the same network: start from its weights (fine-tuning)
    base_filters: int = 64
    epochs: int = 40
    batch_size: int = 30  # per replica; the global batch is batch_size × replicas
    learning_rate: float = 1e-3
    beta_1: float = 0.5
    beta_2: float = 0.999
    adam_epsilon: float = 1e-8  # PyTorch's default (Keras': 1e-7)
    weight_decay: float = 1e-4
    lr_schedule: str = "plateau"  # or "cosine" (then lr_factor and lr_patience play no part)
    lr_factor: float = 0.1
    lr_patience: int = 10
    dropout: float = 0.2
    head_moments: bool = False  # AstroNet's head also sees each input channel's mean and mean square
    remove_map_mean: bool = False  # AstroNet subtracts each input map's mean first (no zero spacing)
    shuffle_buffer: int = 2000
    seed: int = 0
    cpu_replicas: int = 1
    monitor_maps: int = 8
    jit_compile: bool = False
    mixed_precision: bool = False
    train_fraction: float = 1.0  # train on this fraction of the training boxes (a learning curve)
    maps_per_epoch: int = 0  # 0: every training map once per epoch; n: n maps drawn from all training boxes
    telescope: str = NO_TELESCOPE  # observe the 21 cm maps through this telescope (`deep21_tf.instrument`)
    obs_hours: float = 1000.0  # its total observing time, hours

    def validate(self) -> "TrainSettings":
        """Raise ValueError naming the first bad setting and its allowed values; return self otherwise."""
        if self.dataset not in DATASET_CONFIGS:
            raise ValueError(f"--dataset={self.dataset} is not allowed: use one of {', '.join(DATASET_CONFIGS)}")
        if self.model not in MODEL_KINDS:
            raise ValueError(f"--model={self.model} is not allowed: use one of {', '.join(MODEL_KINDS)}")
        if self.model == "unet" and not holds_density(self.dataset):
            raise ValueError(f"--dataset={self.dataset} holds no density maps, which the U-Net learns: use one of "
                             f"{', '.join(name for name in DATASET_CONFIGS if holds_density(name))} (or --model=astro)")
        if self.encoder not in ENCODERS:
            raise ValueError(f"--encoder={self.encoder} is not allowed: use one of {', '.join(ENCODERS)}")
        if self.lr_schedule not in LR_SCHEDULES:
            raise ValueError(f"--lr_schedule={self.lr_schedule} is not allowed: use one of {', '.join(LR_SCHEDULES)}")
        if self.head_moments and self.model != "astro":
            raise ValueError("--head_moments is AstroNet's (--model=astro); the U-Net has no head")
        if self.remove_map_mean and self.model != "astro":
            raise ValueError("--remove_map_mean is AstroNet's (--model=astro); the U-Net sees each map's mean")
        if self.init_from and self.model == "astro" and self.encoder != "scratch":
            raise ValueError(f"--init_from sets every weight, the encoder's too: use --encoder=scratch with it, not "
                             f"--encoder={self.encoder}")
        if self.model == "astro" and self.encoder != "scratch" and not self.unet_dir:
            raise ValueError(f"--encoder={self.encoder} loads a trained U-Net: give --unet_dir (or --encoder=scratch)")
        for name in ("base_filters", "epochs", "batch_size", "lr_patience", "cpu_replicas", "monitor_maps"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name}={getattr(self, name)} is not allowed: use an integer >= 1")
        for name in ("learning_rate", "adam_epsilon"):
            if not getattr(self, name) > 0:
                raise ValueError(f"--{name}={getattr(self, name)} is not allowed: use a value > 0")
        for name in ("beta_1", "beta_2", "lr_factor", "dropout"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"--{name}={getattr(self, name)} is not allowed: use 0 <= {name} < 1")
        if not 0 < self.train_fraction <= 1:
            raise ValueError(f"--train_fraction={self.train_fraction} is not allowed: use 0 < train_fraction <= 1")
        if self.maps_per_epoch < 0:
            raise ValueError(f"--maps_per_epoch={self.maps_per_epoch} is not allowed: use 0 (every training map once "
                             "per epoch) or a number of maps >= 1")
        if self.weight_decay < 0 or self.shuffle_buffer < 0 or self.seed < 0:
            raise ValueError("--weight_decay, --shuffle_buffer and --seed must be >= 0")
        self.instrument.validate()
        return self

    @property
    def instrument(self) -> InstrumentSettings:
        """The instrument the 21 cm maps are observed through (`telescope`, `obs_hours`)."""
        return InstrumentSettings(self.telescope, self.obs_hours)
