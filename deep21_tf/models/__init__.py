"""The paper's networks in Keras 3: unit layer and blocks, the shared encoder, the U-Net and AstroNet."""
from deep21_tf.models.astronet import build_astronet
from deep21_tf.models.encoder import build_encoder
from deep21_tf.models.transfer import transfer_encoder
from deep21_tf.models.unet import build_unet

__all__ = ["build_astronet", "build_encoder", "build_unet", "transfer_encoder"]
