"""DCGAN generator and discriminator (Radford, Metz & Chintala 2015) for 32x32 and 64x64 images.

The paper's recipe: no pooling (strided convs in D, fractionally-strided convs in G), batch norm
in both (except G's output and D's input layer), ReLU in G with Tanh at the output, LeakyReLU 0.2
in D. Shapes for ``image_size=64``, ``width=64`` (``C_k`` = k channels; for 32x32 the 512-channel
stage is dropped and G starts at 4 ``width``)::

    generator                                          discriminator
    z (N, 100) -> Linear -> reshape  (N, 512, 4, 4)    x (N, 3, 64, 64)
    ConvT4x4 s2, norm, ReLU     C256  4 -> 8           Conv4x4 s2, LeakyReLU  C64   64 -> 32  (no norm)
    ConvT4x4 s2, norm, ReLU     C128  8 -> 16          Conv4x4 s2, norm, LReLU C128 32 -> 16
    ConvT4x4 s2, norm, ReLU     C64  16 -> 32          Conv4x4 s2, norm, LReLU C256 16 -> 8
    ConvT4x4 s2, Tanh           C3   32 -> 64          Conv4x4 s2, norm, LReLU C512  8 -> 4
                                                       Conv4x4 valid          C1    4 -> 1  -> logits (N,)

At ``width=32`` and 32x32 G has 0.37M parameters and D 0.17M: trainable on a CPU.
"""

from __future__ import annotations

import torch
from torch import nn

from gancolor.models.init import NORMS, apply_spectral_norm, check_choice, init_weights, make_norm, uses_bias

__all__ = ["DCGANGenerator", "DCGANDiscriminator", "IMAGE_SIZES"]

#: Image sides the DCGAN models are built for (4x4 times 2**3 or 2**4).
IMAGE_SIZES = (32, 64)


def _check_image_size(image_size: int) -> int:
    """Number of x2 stages between 4x4 and ``image_size``: 3 for 32, 4 for 64."""
    if image_size not in IMAGE_SIZES:
        raise ValueError(f"image_size must be one of {IMAGE_SIZES}; got {image_size} "
                         "(resize the images, e.g. with torchvision.transforms.Resize)")
    return image_size.bit_length() - 3  # log2(image_size / 4)


def _upsample_conv(in_channels: int, out_channels: int, upsample: str, bias: bool) -> nn.Module:
    """(N, C_in, H, W) -> (N, C_out, 2H, 2W).

    ``"transpose"``: ConvTranspose4x4 stride 2, the paper's fractionally-strided conv; its kernel
    overlaps unevenly on the output, which can print a checkerboard. ``"nearest"``: nearest x2
    then Conv3x3, even overlap, no checkerboard (Odena et al. 2016).
    """
    if upsample == "transpose":
        return nn.ConvTranspose2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=bias)
    return nn.Sequential(
        nn.Upsample(scale_factor=2, mode="nearest"),
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=bias),
    )


class DCGANGenerator(nn.Module):
    """DCGAN G: noise z (N, z_dim) -> images (N, out_channels, image_size, image_size) in [-1, 1].

    Args:
        z_dim: length of the noise vector.
        out_channels: 3 for RGB, 1 for gray.
        width: channels of the last hidden stage; earlier stages have 2x, 4x (and 8x for 64x64).
        image_size: 32 or 64.
        upsample: ``"transpose"`` (paper) or ``"nearest"`` (nearest x2 + 3x3 conv, no checkerboard).
        norm: ``"batch"`` (paper), ``"instance"`` or ``"none"``.
    """

    def __init__(
        self,
        z_dim: int = 100,
        out_channels: int = 3,
        width: int = 64,
        image_size: int = 32,
        upsample: str = "transpose",
        norm: str = "batch",
    ) -> None:
        super().__init__()
        n_up = _check_image_size(image_size)
        check_choice("upsample", upsample, ("transpose", "nearest"))
        check_choice("norm", norm, NORMS)
        self.config = dict(z_dim=z_dim, out_channels=out_channels, width=width, image_size=image_size,
                           upsample=upsample, norm=norm)
        self.z_dim = z_dim

        channels = [width * 2 ** (n_up - 1 - i) for i in range(n_up)]  # 64x64: 8w, 4w, 2w, w
        # "Project and reshape": one matrix multiply turns z into a 4x4 stack of feature maps.
        self.project = nn.Sequential(
            nn.Linear(z_dim, channels[0] * 4 * 4, bias=False),  # (N, z_dim) -> (N, 16 C0)
            nn.Unflatten(1, (channels[0], 4, 4)),  # -> (N, C0, 4, 4)
            make_norm(norm, channels[0]),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        for i in range(n_up - 1):  # 4x4 -> 8x8 -> ... -> image_size/2
            layers += [
                _upsample_conv(channels[i], channels[i + 1], upsample, bias=uses_bias(norm)),
                make_norm(norm, channels[i + 1]),
                nn.ReLU(),
            ]
        layers += [
            _upsample_conv(channels[-1], out_channels, upsample, bias=True),  # image_size/2 -> image_size
            nn.Tanh(),  # pixels in [-1, 1]
        ]
        self.layers = nn.Sequential(*layers)
        init_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Inputs: ``z`` (N, z_dim), usually N(0, 1).

        Returns: (N, out_channels, image_size, image_size) in [-1, 1].
        """
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"DCGANGenerator expects z of shape (N, {self.z_dim}); got {tuple(z.shape)}")
        return self.layers(self.project(z))


class DCGANDiscriminator(nn.Module):
    """DCGAN D: images (N, in_channels, image_size, image_size) in [-1, 1] -> logits (N,).

    Args:
        in_channels: 3 for RGB, 1 for gray.
        width: channels of the first conv; they double per stride-2 conv.
        image_size: 32 or 64.
        norm: ``"batch"`` (paper), ``"instance"`` or ``"none"`` (needed for WGAN-GP, whose
            penalty is per sample: batch norm would mix the samples).
        spectral_norm: divide every conv weight by its largest singular value (Miyato et al. 2018).
    """

    def __init__(
        self,
        in_channels: int = 3,
        width: int = 64,
        image_size: int = 32,
        norm: str = "batch",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        n_down = _check_image_size(image_size)
        check_choice("norm", norm, NORMS)
        self.config = dict(in_channels=in_channels, width=width, image_size=image_size, norm=norm,
                           spectral_norm=spectral_norm)
        self.image_shape = (in_channels, image_size, image_size)

        channels = [width * 2**i for i in range(n_down)]  # 64x64: w, 2w, 4w, 8w
        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, channels[0], kernel_size=4, stride=2, padding=1),  # S -> S/2, no norm
            nn.LeakyReLU(0.2),
        ]
        for i in range(1, n_down):  # S/2 -> S/4 -> ... -> 4x4
            layers += [
                nn.Conv2d(channels[i - 1], channels[i], 4, stride=2, padding=1, bias=uses_bias(norm)),
                make_norm(norm, channels[i]),
                nn.LeakyReLU(0.2),
            ]
        layers.append(nn.Conv2d(channels[-1], 1, kernel_size=4))  # 4x4 -> 1x1: one logit per image
        self.layers = nn.Sequential(*layers)
        init_weights(self)
        if spectral_norm:
            apply_spectral_norm(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: ``x`` (N, in_channels, image_size, image_size) in [-1, 1].

        Returns: logits (N,), no sigmoid (the losses work on logits).
        """
        if tuple(x.shape[1:]) != self.image_shape:
            expected = ", ".join(map(str, self.image_shape))
            raise ValueError(f"DCGANDiscriminator expects images (N, {expected}); got {tuple(x.shape)}")
        return self.layers(x).flatten()  # (N, 1, 1, 1) -> (N,)
