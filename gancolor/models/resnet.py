"""The ResNet generator of CycleGAN (Zhu et al. 2017, appendix 7.2; Johnson et al. 2016).

An image is encoded to a quarter of its size, transformed there by residual blocks, and decoded
back. Unlike the U-Net there are no skip connections across the network: the residual blocks
keep the input's structure (each adds a correction to its input, x + F(x)), which suits
style transfer, where the layout of the photo must survive and only its appearance changes.

The paper's notation, ``k`` = ``width`` (64 in the paper, 32 here), on an H x W image::

    c7s1-k      ReflectionPad 3, Conv7x7 stride 1, norm, ReLU      (N, 3,  H,   W)   -> (N, k,  H,   W)
    d2k         Conv3x3 stride 2, norm, ReLU                       (N, k,  H,   W)   -> (N, 2k, H/2, W/2)
    d4k         Conv3x3 stride 2, norm, ReLU                       (N, 2k, H/2, W/2) -> (N, 4k, H/4, W/4)
    R4k x n     x + [ReflectionPad 1, Conv3x3, norm, ReLU,
                     ReflectionPad 1, Conv3x3, norm](x)             (N, 4k, H/4, W/4), unchanged
    u2k         ConvTranspose3x3 stride 2, norm, ReLU               (N, 4k, H/4, W/4) -> (N, 2k, H/2, W/2)
    uk          ConvTranspose3x3 stride 2, norm, ReLU               (N, 2k, H/2, W/2) -> (N, k,  H,   W)
    c7s1-3      ReflectionPad 3, Conv7x7 stride 1, tanh             (N, k,  H,   W)   -> (N, 3,  H,   W)

The paper uses 6 blocks for 128x128 images and 9 for 256x256. ``n_down`` generalises the two
halvings (d2k, d4k) and two doublings (u2k, uk).

Upsampling: ``"transpose"`` (the default here) is the paper's fractionally-strided conv, cheapest
at train time. ``"bilinear"`` (bilinear x2 then a 3x3 conv, the same parameters) avoids the
checkerboard pattern a transposed conv leaves (Odena et al. 2016), for ~14% more time per CycleGAN
training step at 64 px; :class:`~gancolor.train.cyclegan.CycleGANConfig` uses it, as early
training showed the grid with ``"transpose"``.

``residual=True`` (our option, not the paper's) ends the network with a *change* to its input instead
of the image: c7s1-3 without tanh gives h, and the output is tanh(atanh(x) + h)
(:func:`~gancolor.models.init.add_change`). Its last conv starts at zero, so the generator starts
as the identity. Without skip connections the plain network must rebuild every pixel from a
quarter-size code; the residual one passes the photo's detail through untouched, which suits
styles that keep most of the photo (a painting of it) rather than replacing it (summer -> winter).

``filter_size=K`` (our option, with ``residual``) also lets the network *smooth* cheaply. A residual
network passes the photo's detail through for free, but to remove it (a painting's strokes smear
texture along the edges) it must rebuild that detail exactly from its quarter-size code, and cancel
it. So a second head predicts, at every pixel p, the weights w_Δ(p) of a K x K neighbourhood, and
the image that the change h is added to is

    F(x)(p) = x(p) + Σ_Δ w_Δ(p) (x(p + Δ) - x(p))       Δ in {-K//2 .. K//2}², w from a 3x3 conv

(a kernel-predicting network, Bako et al. 2017 and Mildenhall et al. 2018 for denoising; the weights
act on differences, so a flat region stays flat whatever w is). The head starts at zero, so
F(x) = x and the generator still starts as the identity; with w_Δ = 1/K² it is a box blur, with w
along a line through p, a brush stroke.

Reflection padding (instead of zeros) keeps the borders free of the dark frame that zero padding
teaches the network to paint.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from gancolor.models.init import NORMS, add_change, check_choice, init_weights, make_norm, uses_bias
from gancolor.models.unet import UPSAMPLE_MODES

__all__ = ["ResnetGenerator", "ResidualBlock", "filter_pixels"]


class ResidualBlock(nn.Module):
    """x + F(x), F = [ReflectionPad 1, Conv3x3, norm, ReLU, ReflectionPad 1, Conv3x3, norm]:
    (N, C, h, w) -> (N, C, h, w), h, w >= 2."""

    def __init__(self, channels: int, norm: str) -> None:
        super().__init__()
        bias = uses_bias(norm)
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),                                  # (N, C, h + 2, w + 2)
            nn.Conv2d(channels, channels, kernel_size=3, bias=bias),  # (N, C, h, w)
            make_norm(norm, channels),
            nn.ReLU(),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, kernel_size=3, bias=bias),  # (N, C, h, w)
            make_norm(norm, channels),                              # no ReLU after the sum (He et al. 2016)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)  # the block only has to learn the change F(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's generator: an image (N, in_channels, H, W) in [-1, 1] -> (N, out_channels, H, W) in [-1, 1].

    H and W must be multiples of :attr:`size_multiple` = 2**n_down, and at least
    :attr:`min_size` (the reflection padding of the residual blocks needs 2 pixels at H / 2**n_down).

    Args:
        in_channels, out_channels: 3 and 3 for RGB -> RGB.
        width: k, channels of the first layer; they double with each halving.
        n_blocks: residual blocks at the lowest resolution (6 for 128 px, 9 for 256 px in the paper).
        n_down: halvings (and doublings); 2 in the paper.
        norm: ``"instance"`` (CycleGAN, per-image statistics: no dependence on the batch),
            ``"batch"`` or ``"none"``; never on the output layer.
        upsample: ``"transpose"`` (paper) or ``"bilinear"`` (+ 3x3 conv, no checkerboard).
        residual: output tanh(atanh(x) + h), h the last conv's output (starting at zero: the
            identity), instead of tanh(h); needs out_channels == in_channels.
        filter_size: K > 0 (odd, with ``residual``): output tanh(atanh(F(x)) + h), F(x) the input
            filtered by a K x K filter predicted at every pixel (the module docstring); 0 = none.
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 3,
        width: int = 32,
        n_blocks: int = 6,
        n_down: int = 2,
        norm: str = "instance",
        upsample: str = "transpose",
        residual: bool = False,
        filter_size: int = 0,
    ) -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        check_choice("upsample", upsample, UPSAMPLE_MODES)
        if min(in_channels, out_channels, width) < 1 or n_blocks < 0 or n_down < 0:
            raise ValueError("in_channels, out_channels and width must be >= 1, n_blocks and n_down >= 0")
        if residual and in_channels != out_channels:
            raise ValueError(f"residual=True adds a change to the input: out_channels ({out_channels}) must "
                             f"equal in_channels ({in_channels})")
        self.config = dict(in_channels=in_channels, out_channels=out_channels, width=width,
                           n_blocks=n_blocks, n_down=n_down, norm=norm, upsample=upsample)
        if filter_size and (not residual or filter_size < 0 or filter_size % 2 == 0):
            raise ValueError(f"filter_size must be odd and positive, with residual=True; got {filter_size} "
                             f"(residual={residual})")
        if residual:  # files written before the option, and plain generators, keep their config
            self.config["residual"] = True
        if filter_size:
            self.config["filter_size"] = filter_size
        self.residual, self.filter_size = residual, filter_size
        self.in_channels = in_channels
        self.size_multiple = 2**n_down
        self.min_size = max(4, 2 * self.size_multiple)  # reflection pads: 3 px at H, 1 px at H / 2**n_down
        bias = uses_bias(norm)

        # c7s1-k: (N, C_in, H, W) -> (N, k, H, W)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, width, kernel_size=7, bias=bias),
            make_norm(norm, width),
            nn.ReLU(),
        ]
        # d2k, d4k ...: (N, k 2**i, H / 2**i, ..) -> (N, k 2**(i+1), H / 2**(i+1), ..)
        for i in range(n_down):
            c_in, c_out = width * 2**i, width * 2 ** (i + 1)
            layers += [
                nn.Conv2d(c_in, c_out, kernel_size=3, stride=2, padding=1, bias=bias),
                make_norm(norm, c_out),
                nn.ReLU(),
            ]
        # R x n_blocks: (N, k 2**n_down, H / 2**n_down, ..), unchanged
        bottom = width * 2**n_down
        layers += [ResidualBlock(bottom, norm) for _ in range(n_blocks)]
        # u2k, uk ...: (N, k 2**i, H / 2**i, ..) -> (N, k 2**(i-1), H / 2**(i-1), ..)
        for i in range(n_down, 0, -1):
            c_in, c_out = width * 2**i, width * 2 ** (i - 1)
            if upsample == "transpose":  # output_padding=1: exactly 2h x 2w out of h x w
                resize: list[nn.Module] = [nn.ConvTranspose2d(c_in, c_out, kernel_size=3, stride=2, padding=1,
                                                              output_padding=1, bias=bias)]
            else:
                resize = [nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                          nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=bias)]
            layers += [*resize, make_norm(norm, c_out), nn.ReLU()]
        # c7s1-out: (N, k, H, W) -> (N, C_out, H, W), then tanh (residual: the change h, no tanh)
        last = nn.Conv2d(width, out_channels, kernel_size=7)
        layers += [nn.ReflectionPad2d(3), last, nn.Identity() if residual else nn.Tanh()]
        self.layers = nn.Sequential(*layers)
        init_weights(self)
        if residual:  # h = 0 at the start: G(x) = x
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)
        if filter_size:  # w: (N, K², H, W) from the last feature map, zero at the start: F(x) = x
            self.filter_head = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(width, filter_size**2, 3))
            nn.init.zeros_(self.filter_head[1].weight)
            nn.init.zeros_(self.filter_head[1].bias)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"ResnetGenerator expects input of shape (N, {self.in_channels}, H, W); "
                             f"got {tuple(x.shape)}")
        height, width = x.shape[-2:]
        m = self.size_multiple
        if height % m or width % m or min(height, width) < self.min_size:
            fit_h, fit_w = (max(self.min_size, -(-side // m) * m) for side in (height, width))
            raise ValueError(f"ResnetGenerator(n_down={self.config['n_down']}) needs H and W divisible by "
                             f"{m} and at least {self.min_size}; got {height}x{width} (resize or pad to "
                             f"{fit_h}x{fit_w})")

    def encoder_layers(self) -> tuple[int, ...]:
        """The indices into :attr:`layers` whose outputs :meth:`encode` returns, as CUT chooses them
        (Park et al. 2020): the padded input image, the first block, each down-sampling block and the
        first residual block; for the default 2 down-samplings (3, k, 2k, 4k, 4k) channels."""
        first_block = 4 + 3 * self.config["n_down"]
        ends = [0, 3] + [3 + 3 * i for i in range(1, self.config["n_down"] + 1)]
        return tuple(ends + ([first_block] if self.config["n_blocks"] else []))

    def encoder_channels(self) -> tuple[int, ...]:
        """The channels of :meth:`encode`'s feature maps, in order."""
        width, n_down = self.config["width"], self.config["n_down"]
        blocks = [width * 2**n_down] if self.config["n_blocks"] else []
        return (self.in_channels, width, *(width * 2**i for i in range(1, n_down + 1)), *blocks)

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The encoder's feature maps at :meth:`encoder_layers` (for CUT's PatchNCE loss): ``x`` (N, C, H, W)
        in [-1, 1] -> [(N, C_l, H_l, W_l)], C_l of :meth:`encoder_channels`; the decoder is not run."""
        self._check_input(x)
        wanted = self.encoder_layers()
        features = []
        for index, layer in enumerate(self.layers[:wanted[-1] + 1]):
            x = layer(x)
            if index in wanted:
                features.append(x)
        return features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: ``x`` (N, in_channels, H, W) in [-1, 1]. Returns: (N, out_channels, H, W) in [-1, 1]."""
        self._check_input(x)
        if not self.filter_size:
            out = self.layers(x)
            return add_change(x, out) if self.residual else out
        features = self.layers[:-3](x)  # (N, k, H, W): everything but the output conv (pad, conv, identity)
        change = self.layers[-3:](features)  # h
        return add_change(filter_pixels(x, self.filter_head(features)), change)


def filter_pixels(image: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """F(x)(p) = x(p) + Σ_Δ w_Δ(p) (x(p + Δ) - x(p)): each pixel's own K x K filter on the differences.

    Inputs: ``image`` x (N, C, H, W); ``weights`` w (N, K², H, W), Δ in row-major order over the
    K x K window (the border reflected). Returns (N, C, H, W); w = 0 returns x.
    """
    n, channels, height, width = image.shape
    k2 = weights.shape[1]
    k = round(k2**0.5)
    if k * k != k2 or k % 2 == 0:
        raise ValueError(f"weights must have K² channels for an odd K; got {k2}")
    padded = F.pad(image, (k // 2,) * 4, mode="reflect")
    neighbours = F.unfold(padded, k).view(n, channels, k2, height, width)  # x(p + Δ): (N, C, K², H, W)
    differences = neighbours - image[:, :, None]
    return image + (weights[:, None].to(differences.dtype) * differences).sum(dim=2)
