"""The networks: pix2pix U-Net and PatchGAN, CycleGAN's ResNet generator, DCGAN G and D, and the
pieces they share.

Every model takes plain keyword arguments and keeps them in ``model.config``, so
``type(model)(**model.config)`` rebuilds the same architecture: a checkpoint stores the class
name, the config and the state dict.
"""

from gancolor.models.dcgan import DCGANDiscriminator, DCGANGenerator
from gancolor.models.init import NORMS, apply_spectral_norm, count_parameters, init_weights, make_norm
from gancolor.models.multitask import MultiTaskGenerator
from gancolor.models.patchgan import (
    PatchDiscriminator,
    PixelDiscriminator,
    conv_receptive_field,
    receptive_field,
)
from gancolor.models.resnet import ResnetGenerator
from gancolor.models.unet import UNetGenerator

__all__ = [
    "NORMS",
    "make_norm",
    "init_weights",
    "apply_spectral_norm",
    "count_parameters",
    "UNetGenerator",
    "MultiTaskGenerator",
    "ResnetGenerator",
    "PatchDiscriminator",
    "PixelDiscriminator",
    "receptive_field",
    "conv_receptive_field",
    "DCGANGenerator",
    "DCGANDiscriminator",
]
