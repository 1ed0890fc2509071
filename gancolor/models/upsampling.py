"""The super-resolution colorizer's generator: low-resolution L in, high-resolution L and ab out.

A pix2pix U-Net works at the input's resolution and gives ``features`` channels per pixel; then
``log2(scale)`` pixel-shuffle blocks (Shi et al. 2016, "Real-time single image and video
super-resolution using an efficient sub-pixel convolutional network") each double the resolution:

    conv3x3: C -> 4C  at h x w,  PixelShuffle(2): (4C, h, w) -> (C, 2h, 2w),  ReLU

the four channels of a group become the 2x2 block of pixels they fill, so every output pixel is
computed by its own weights (no checkerboard of a strided transposed conv, no blur of an
interpolation). A 3x3 conv gives three channels at scale x the input's size:

    L_out  = clamp(bicubic(L_in) + tanh(h_0), -1, 1)    the lightness: bicubic plus learned detail
    ab_out = tanh(h_1:3)                                  the colours, at high resolution

Why output L too (not only ab joined to the bicubic L): PSNR and SSIM are dominated by the
lightness, and bicubic L is blurred: the missing edges are exactly what super-resolution learns.
Why a residual on bicubic L (VDSR, Kim et al. 2016): the network starts as bicubic upscaling (its
L weights start at zero) and learns only the detail bicubic misses, a small, easy signal.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancolor.models.init import init_weights
from gancolor.models.unet import UNetGenerator

__all__ = ["UpsamplingGenerator", "pixel_shuffle_block", "SCALES"]

#: Upscaling factors an UpsamplingGenerator can have (powers of two).
SCALES = (2, 4, 8)


def pixel_shuffle_block(channels: int) -> nn.Sequential:
    """Conv3x3 C -> 4C, PixelShuffle(2), ReLU: (N, C, h, w) -> (N, C, 2h, 2w)."""
    return nn.Sequential(nn.Conv2d(channels, 4 * channels, kernel_size=3, padding=1),
                         nn.PixelShuffle(2), nn.ReLU())


class UpsamplingGenerator(nn.Module):
    """L_n (N, 1, h, w) in [-1, 1] -> (N, 3, scale h, scale w): L_n and ab_n in [-1, 1].

    h and w must be multiples of :attr:`size_multiple` = 2**depth (the U-Net's).

    Args:
        scale: 2, 4 or 8.
        width, depth, max_width, norm, dropout: the U-Net's (:class:`UNetGenerator`).
        features: channels the U-Net hands to the upsampling blocks.
    """

    def __init__(self, scale: int = 2, width: int = 32, depth: int = 5, max_width: int = 256,
                 norm: str = "batch", dropout: float = 0.0, features: int = 32) -> None:
        super().__init__()
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}; got {scale}")
        if features < 1:
            raise ValueError(f"features must be >= 1; got {features}")
        self.config = dict(scale=scale, width=width, depth=depth, max_width=max_width, norm=norm,
                           dropout=dropout, features=features)
        self.scale = scale
        self.in_channels = 1
        self.body = UNetGenerator(in_channels=1, out_channels=features, width=width, depth=depth,
                                  max_width=max_width, norm=norm, dropout=dropout, output="logits")
        self.size_multiple = self.body.size_multiple
        blocks = [pixel_shuffle_block(features) for _ in range(scale.bit_length() - 1)]
        self.upsample = nn.Sequential(nn.ReLU(), *blocks)
        self.out = nn.Conv2d(features, 3, kernel_size=3, padding=1)
        init_weights(self.upsample)
        init_weights(self.out)
        with torch.no_grad():  # the L row starts at zero: an untrained model gives bicubic L
            self.out.weight[0].zero_()
            self.out.bias[0].zero_()

    def forward(self, L: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """Inputs: L_n (N, 1, h, w) in [-1, 1]. Returns: cat(L_n, ab_n) (N, 3, scale h, scale w)."""
        if L.dim() != 4 or L.shape[1] != 1:
            raise ValueError(f"UpsamplingGenerator expects L of shape (N, 1, h, w); got {tuple(L.shape)}")
        h = self.out(self.upsample(self.body(L)))
        big = F.interpolate(L, scale_factor=self.scale, mode="bicubic", align_corners=False)
        L_out = (big + torch.tanh(h[:, :1])).clamp(-1.0, 1.0)  # noqa: N806
        return torch.cat([L_out, torch.tanh(h[:, 1:])], dim=1)
