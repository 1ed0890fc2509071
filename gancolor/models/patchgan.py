"""The conditional PatchGAN discriminator of pix2pix (Isola et al. 2017, Sec. 3.2.2).

Instead of one real/fake verdict per image, D gives one per overlapping patch: each output logit
sees only an R x R window of the input (R = 70 for ``n_layers=3``). L1 already gets the low
frequencies right, so D only has to judge local texture and colour, and it does so with few
parameters on images of any size.

The pix2pix configuration (``width=64, n_layers=3``) on a 256x256 input, ``C_k`` = k channels,
all convs 4x4 with padding 1::

    C64   stride 2, no norm, LeakyReLU 0.2     256 -> 128
    C128  stride 2, norm, LeakyReLU 0.2        128 -> 64
    C256  stride 2, norm, LeakyReLU 0.2         64 -> 32
    C512  stride 1, norm, LeakyReLU 0.2         32 -> 31
    C1    stride 1 (patch logits)               31 -> 30     => 30x30 patches of 70x70 pixels

For colorization D is conditional: it sees the input and an output together, cat(L_n, ab_n).
"""

from __future__ import annotations

import torch
from torch import nn

from gancolor.models.init import NORMS, apply_spectral_norm, check_choice, init_weights, make_norm, uses_bias

__all__ = ["PatchDiscriminator", "PixelDiscriminator", "check_crop_size", "receptive_field",
           "conv_receptive_field"]


class PatchDiscriminator(nn.Module):
    """PatchGAN: images (N, in_channels, H, W) -> patch logits (N, 1, h, w), no sigmoid.

    Args:
        in_channels: 3 for colorization (L_n and ab_n concatenated).
        width: channels of the first conv; they double per layer up to 8 ``width``.
        n_layers: stride-2 convs; 3 gives the 70x70 PatchGAN, see :func:`receptive_field`.
        norm: ``"batch"``, ``"instance"`` or ``"none"`` (never on the first and last conv).
        spectral_norm: divide every conv weight by its largest singular value (Miyato et al. 2018).
    """

    def __init__(
        self,
        in_channels: int = 3,
        width: int = 64,
        n_layers: int = 3,
        norm: str = "batch",
        spectral_norm: bool = False,
    ) -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        if n_layers < 1 or width < 1 or in_channels < 1:
            raise ValueError("n_layers, width and in_channels must be >= 1")
        self.config = dict(in_channels=in_channels, width=width, n_layers=n_layers, norm=norm,
                           spectral_norm=spectral_norm)

        def block(c_in: int, c_out: int, stride: int, block_norm: str) -> list[nn.Module]:
            return [
                nn.Conv2d(c_in, c_out, kernel_size=4, stride=stride, padding=1, bias=uses_bias(block_norm)),
                make_norm(block_norm, c_out),
                nn.LeakyReLU(0.2),
            ]

        channels = [min(width * 2**i, 8 * width) for i in range(n_layers + 1)]  # 64, 128, 256, 512
        layers = block(in_channels, channels[0], stride=2, block_norm="none")  # H -> H/2
        for i in range(1, n_layers):
            layers += block(channels[i - 1], channels[i], stride=2, block_norm=norm)  # halves H again
        layers += block(channels[n_layers - 1], channels[n_layers], stride=1, block_norm=norm)  # h -> h - 1
        layers.append(nn.Conv2d(channels[n_layers], 1, kernel_size=4, stride=1, padding=1))  # h -> h - 1
        self.layers = nn.Sequential(*layers)
        init_weights(self)
        if spectral_norm:
            apply_spectral_norm(self)

    @property
    def min_size(self) -> int:
        """The smallest input side it can train on: at least one output logit, and more than one
        pixel in every normalised map (instance norm of a 1 x 1 map is undefined)."""
        n_layers, normalised = self.config["n_layers"], self.config["norm"] != "none"
        for size in range(1, 4096):
            h, ok = size, True
            for i in range(n_layers):  # stride-2 convs: h -> floor(h / 2); normalised from the second on
                h //= 2
                ok &= h >= (2 if normalised and i > 0 else 1)
            h -= 1  # the stride-1 conv, normalised
            ok &= h >= (2 if normalised else 1)
            if ok and h - 1 >= 1:  # the logits
                return size
        raise ValueError("no input size works")  # unreachable for n_layers < 12

    @property
    def receptive_field(self) -> int:
        """Side in pixels of the input window that one output logit sees."""
        return conv_receptive_field(self.layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: ``x`` (N, in_channels, H, W), e.g. cat(L_n, ab_n) in about [-1, 1], H, W >= 16.

        Returns: patch logits (N, 1, h, w); for n_layers=3, h = H/8 - 2 (30 for H=256).
        """
        return self.layers(x)


class PixelDiscriminator(nn.Module):
    """PixelGAN (pix2pix's ``netD=pixel``, Isola et al. 2017, Sec. 4.4): a critic of single pixels.

    Images (N, in_channels, H, W) -> logits (N, 1, H, W), one per pixel, no sigmoid: three 1x1 convs
    (``in_channels`` -> ``width`` -> 2 ``width`` -> 1, LeakyReLU 0.2). It sees no neighbourhood, so it
    judges only the *distribution of colours*: it cannot ask for texture, and it cannot learn which
    image it looks at. pix2pix found it "has no effect on spatial statistics but does encourage greater
    colour diversity". No norm by default: an instance norm would remove each image's mean of the
    features, which carries its mean colour, the very thing a palette changes. Weights: PyTorch's
    default (Kaiming-uniform) initialisation, which keeps the activations' scale through the layers,
    rather than the N(0, 0.02) of the other networks, whose norms rescale what such small weights
    shrink.
    """

    def __init__(self, in_channels: int = 3, width: int = 64, norm: str = "none") -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        if width < 1 or in_channels < 1:
            raise ValueError("width and in_channels must be >= 1")
        self.config = dict(in_channels=in_channels, width=width, norm=norm)
        self.layers = nn.Sequential(
            nn.Conv2d(in_channels, width, kernel_size=1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, kernel_size=1, bias=uses_bias(norm)), make_norm(norm, 2 * width),
            nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, 1, kernel_size=1),
        )

    min_size = 1  # any image (an instance norm needs two pixels; 64 px crops have plenty)
    receptive_field = 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` (N, in_channels, H, W) in about [-1, 1] -> per-pixel logits (N, 1, H, W)."""
        return self.layers(x)


def conv_receptive_field(layers: nn.Module) -> int:
    """Receptive field of a chain of layers, from the kernel and stride of each conv in order.

    ``layers`` must apply its convs one after another in the order they were registered
    (an ``nn.Sequential``), without skip connections.

    Walking back from one output pixel (r = 1), a conv with kernel k and stride s widens the
    window to r' = (r - 1) s + k input pixels. Padding shifts the window but does not widen it,
    and pointwise layers (norms, activations) leave it unchanged.
    """
    convs = [m for m in layers.modules() if isinstance(m, nn.Conv2d)]
    r = 1
    for conv in reversed(convs):
        (k, _), (s, _) = conv.kernel_size, conv.stride
        r = (r - 1) * s + k  # r' = (r - 1) s + k
    return r


def receptive_field(n_layers: int) -> int:
    """Receptive field of :class:`PatchDiscriminator` with ``n_layers``: 16, 34, 70, 142 ... pixels."""
    with torch.device("meta"):  # only the layer list is needed: no memory, no draw from the RNG
        model = PatchDiscriminator(in_channels=1, width=1, n_layers=n_layers, norm="none")
    return model.receptive_field


def check_crop_size(discriminator: PatchDiscriminator, image_size: int) -> None:
    """Raise ValueError (naming the fix) when ``image_size`` crops are too small for ``discriminator``."""
    if image_size < discriminator.min_size:
        layers = discriminator.config["n_layers"]
        raise ValueError(f"image_size {image_size} is too small for a {layers}-layer PatchGAN "
                         f"(at least {discriminator.min_size}); use a larger --image-size or fewer D layers")
