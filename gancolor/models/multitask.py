"""One model, two jobs: a shared U-Net encoder over the lightness, a colour head and a style head.

A gray photo (its lightness L_n) goes through one encoder; two decoders read the same features,
each with its own skip connections from that encoder:

    L_n (N,1,H,W) -> encoder e1 .. e_depth ─┬─> colour decoder -> ab_n   (N,2,H,W) in [-1, 1]
                      (shared)              └─> style decoder  -> winter (N,3,H,W) RGB in [-1, 1]

The blocks are those of :class:`~gancolor.models.unet.UNetGenerator` (same pre-activation convs,
same skip concatenation), so a ``MultiTaskGenerator`` is a U-Net with a second decoder. Both jobs
need the same things from the encoder (where the edges are, what the textures are, which region
is sky, grass or road), so sharing it costs each job little and saves a third of the weights and
of the compute of two separate U-Nets (the encoder runs once for both outputs).
"""

from __future__ import annotations

import torch
from torch import nn

from gancolor.color import lab_normalized_to_rgb, unit_to_signed
from gancolor.models.init import NORMS, add_change, check_choice, init_weights
from gancolor.models.unet import (
    UPSAMPLE_MODES,
    check_size_multiple,
    run_decoder,
    run_encoder,
    unet_channels,
    unet_decoder,
    unet_encoder,
)

__all__ = ["MultiTaskGenerator", "HeadView", "HEADS", "gray_rgb_n"]

#: The outputs of a MultiTaskGenerator, in the order ``forward`` returns them.
HEADS = ("ab", "style")


def gray_rgb_n(L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """The gray photo of lightness L_n (N, 1, H, W) in [-1, 1] as RGB (N, 3, H, W) in [-1, 1].

    Differentiable: a residual style head adds its change to it.
    """
    no_colour = L_n.new_zeros(len(L_n), 2, *L_n.shape[2:])
    return unit_to_signed(lab_normalized_to_rgb(L_n, no_colour))


class MultiTaskGenerator(nn.Module):
    """Shared-encoder U-Net: L_n (N, 1, H, W) -> (ab_n (N, 2, H, W), winter RGB (N, 3, H, W)) in [-1, 1].

    H and W must be multiples of :attr:`size_multiple` = 2**depth.

    Args:
        width: channels of the first encoder block; they double per block up to ``max_width``.
        depth: number of encoder blocks (and of blocks in each decoder).
        norm: ``"batch"``, ``"instance"`` or ``"none"`` (placed as in UNetGenerator).
        dropout: drop probability in the 3 innermost blocks of both decoders (train mode only).
        upsample: ``"bilinear"`` (+ 3x3 conv; the default: a transposed conv's checkerboard shows
            plainly in the RGB style output) or ``"transpose"`` (pix2pix), for both decoders.
        style_channels: channels of the style output (3: RGB).
        style_residual: the style head predicts a change to the gray input rather than the image:
            winter = tanh(atanh(gray) + h), so h = 0 leaves the gray photo as it is and the layout
            comes for free (needs style_channels=3).
    """

    def __init__(
        self,
        width: int = 32,
        depth: int = 5,
        max_width: int = 192,
        norm: str = "instance",
        dropout: float = 0.0,
        upsample: str = "bilinear",
        style_channels: int = 3,
        style_residual: bool = True,
    ) -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        check_choice("upsample", upsample, UPSAMPLE_MODES)
        if depth < 1 or width < 1 or max_width < 1 or style_channels < 1:
            raise ValueError("depth, width, max_width and style_channels must be >= 1")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout}")
        if style_residual and style_channels != 3:
            raise ValueError("style_residual needs style_channels=3 (a change to the gray RGB photo)")
        self.config = dict(width=width, depth=depth, max_width=max_width, norm=norm, dropout=dropout,
                           upsample=upsample, style_channels=style_channels, style_residual=style_residual)
        self.in_channels = 1
        self.size_multiple = 2**depth
        channels = unet_channels(width, depth, max_width)
        self.encoder = unet_encoder(1, channels, norm)  # UNetGenerator's encoder over one input channel
        self.ab_decoder = unet_decoder(channels, 2, norm, dropout, upsample)
        self.style_decoder = unet_decoder(channels, style_channels, norm, dropout, upsample)
        init_weights(self)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"MultiTaskGenerator expects L_n of shape (N, 1, H, W); got {tuple(x.shape)}")
        check_size_multiple(x, self.size_multiple, f"MultiTaskGenerator(depth={self.config['depth']})")

    def encode(self, L_n: torch.Tensor) -> list[torch.Tensor]:  # noqa: N803
        """The shared features: [e1, ..., e_depth], e_i of shape (N, C_i, H / 2**i, W / 2**i)."""
        self._check_input(L_n)
        return run_encoder(self.encoder, L_n)

    def decode(self, features: list[torch.Tensor], head: str,
               L_n: torch.Tensor | None = None) -> torch.Tensor:  # noqa: N803
        """One head on shared features: ``"ab"`` -> (N, 2, H, W), ``"style"`` -> (N, 3, H, W).

        A residual style head also needs the input ``L_n``.
        """
        check_choice("head", head, HEADS)
        if head == "ab":
            return torch.tanh(run_decoder(self.ab_decoder, features))
        h = run_decoder(self.style_decoder, features)
        if not self.config["style_residual"]:
            return torch.tanh(h)
        if L_n is None:
            raise ValueError("a residual style head needs L_n: decode(features, 'style', L_n)")
        return add_change(gray_rgb_n(L_n), h)

    def forward(self, L_n: torch.Tensor,  # noqa: N803
                head: str | None = None) -> tuple[torch.Tensor, torch.Tensor] | torch.Tensor:
        """Inputs: ``L_n`` (N, 1, H, W) in [-1, 1]; ``head``: None for both heads, or one of them.

        Returns: (ab_n (N, 2, H, W), style (N, 3, H, W)), both in [-1, 1]; with ``head``, that head's
        output alone (the other decoder is not run). Training calls the heads through ``forward``
        (not :meth:`colour` / :meth:`style`), so DistributedDataParallel sees every call.
        """
        features = self.encode(L_n)
        if head is not None:
            return self.decode(features, head, L_n)
        return self.decode(features, "ab"), self.decode(features, "style", L_n)

    def colour(self, L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """The colour head alone (the style decoder is not run): ab_n (N, 2, H, W)."""
        return self.decode(self.encode(L_n), "ab", L_n)

    def style(self, L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """The style head alone (the colour decoder is not run): winter RGB (N, 3, H, W) in [-1, 1]."""
        return self.decode(self.encode(L_n), "style", L_n)

    def shared_parameters(self) -> list[nn.Parameter]:
        """The encoder's parameters, which both jobs train."""
        return list(self.encoder.parameters())


class HeadView(nn.Module):
    """One head of a MultiTaskGenerator as a plain image -> image module (for Colorizer and friends).

    Holds no weights of its own; ``size_multiple`` is the generator's.
    """

    def __init__(self, generator: MultiTaskGenerator, head: str) -> None:
        super().__init__()
        check_choice("head", head, HEADS)
        self.generator = generator
        self.head = head
        self.in_channels = 1
        self.size_multiple = generator.size_multiple

    def forward(self, L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
        return self.generator.decode(self.generator.encode(L_n), self.head, L_n)
