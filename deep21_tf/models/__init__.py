"""The paper's networks in Keras 3: unit layer and blocks, the shared encoder, the U-Net and AstroNet.

The builders load their module (and Keras) on first use; `deep21_tf.models.validation` imports without either.
"""
import importlib

_HOMES = {"build_astronet": "astronet", "build_encoder": "encoder", "transfer_encoder": "transfer",
          "copy_all_weights": "transfer", "build_unet": "unet"}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
