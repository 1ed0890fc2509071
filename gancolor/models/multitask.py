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

from gancolor.models.init import NORMS, check_choice, init_weights
from gancolor.models.unet import UPSAMPLE_MODES, _down_block, _up_block

__all__ = ["MultiTaskGenerator", "HeadView", "HEADS"]

#: The outputs of a MultiTaskGenerator, in the order ``forward`` returns them.
HEADS = ("ab", "style")


def _decoder(channels: list[int], out_channels: int, norm: str, dropout: float,
             upsample: str) -> nn.ModuleList:
    """A U-Net decoder for encoder features of ``channels`` (as in UNetGenerator: decoder[i] = d_{i+1})."""
    depth = len(channels)
    n_dropout = min(3, depth - 1)  # the 3 innermost blocks, never the output block
    return nn.ModuleList(
        _up_block(
            channels[i] if i == depth - 1 else 2 * channels[i],
            out_channels if i == 0 else channels[i - 1],
            norm="none" if i == 0 else norm,
            dropout=dropout if i >= depth - n_dropout else 0.0,
            upsample=upsample,
        )
        for i in range(depth)
    )


class MultiTaskGenerator(nn.Module):
    """Shared-encoder U-Net: L_n (N, 1, H, W) -> (ab_n (N, 2, H, W), winter RGB (N, 3, H, W)) in [-1, 1].

    H and W must be multiples of :attr:`size_multiple` = 2**depth.

    Args:
        width: channels of the first encoder block; they double per block up to ``max_width``.
        depth: number of encoder blocks (and of blocks in each decoder).
        norm: ``"batch"``, ``"instance"`` or ``"none"`` (placed as in UNetGenerator).
        dropout: drop probability in the 3 innermost blocks of both decoders (train mode only).
        upsample: ``"transpose"`` or ``"bilinear"`` (+ 3x3 conv), for both decoders.
        style_channels: channels of the style output (3: RGB).
    """

    def __init__(
        self,
        width: int = 32,
        depth: int = 5,
        max_width: int = 192,
        norm: str = "instance",
        dropout: float = 0.0,
        upsample: str = "transpose",
        style_channels: int = 3,
    ) -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        check_choice("upsample", upsample, UPSAMPLE_MODES)
        if depth < 1 or width < 1 or max_width < 1 or style_channels < 1:
            raise ValueError("depth, width, max_width and style_channels must be >= 1")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout}")
        self.config = dict(width=width, depth=depth, max_width=max_width, norm=norm, dropout=dropout,
                           upsample=upsample, style_channels=style_channels)
        self.in_channels = 1
        self.size_multiple = 2**depth
        channels = [min(width * 2**i, max_width) for i in range(depth)]
        self.encoder = nn.ModuleList(  # exactly UNetGenerator's encoder over one input channel
            _down_block(1 if i == 0 else channels[i - 1], channels[i],
                        norm="none" if i in (0, depth - 1) else norm, activate=i > 0)
            for i in range(depth)
        )
        self.ab_decoder = _decoder(channels, 2, norm, dropout, upsample)
        self.style_decoder = _decoder(channels, style_channels, norm, dropout, upsample)
        init_weights(self)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != 1:
            raise ValueError(f"MultiTaskGenerator expects L_n of shape (N, 1, H, W); got {tuple(x.shape)}")
        height, width = x.shape[-2:]
        m = self.size_multiple
        if height % m or width % m:
            raise ValueError(f"MultiTaskGenerator(depth={self.config['depth']}) needs H and W divisible by "
                             f"2**depth = {m}; got {height}x{width} (pad to "
                             f"{-(-height // m) * m}x{-(-width // m) * m})")

    def encode(self, L_n: torch.Tensor) -> list[torch.Tensor]:  # noqa: N803
        """The shared features: [e1, ..., e_depth], e_i of shape (N, C_i, H / 2**i, W / 2**i)."""
        self._check_input(L_n)
        features, h = [], L_n
        for down in self.encoder:
            h = down(h)
            features.append(h)
        return features

    @staticmethod
    def _decode(decoder: nn.ModuleList, features: list[torch.Tensor]) -> torch.Tensor:
        skips = list(features)
        h = decoder[-1](skips.pop())  # the bottleneck has no skip partner
        for up in reversed(decoder[:-1]):
            h = up(torch.cat([h, skips.pop()], dim=1))
        return torch.tanh(h)

    def decode(self, features: list[torch.Tensor], head: str) -> torch.Tensor:
        """One head on shared features: ``"ab"`` -> (N, 2, H, W), ``"style"`` -> (N, 3, H, W)."""
        check_choice("head", head, HEADS)
        return self._decode(self.ab_decoder if head == "ab" else self.style_decoder, features)

    def forward(self, L_n: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N803
        """Inputs: ``L_n`` (N, 1, H, W) in [-1, 1].

        Returns: (ab_n (N, 2, H, W), style (N, 3, H, W)), both in [-1, 1].
        """
        features = self.encode(L_n)
        return self.decode(features, "ab"), self.decode(features, "style")

    def colour(self, L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """The colour head alone (the style decoder is not run): ab_n (N, 2, H, W)."""
        return self.decode(self.encode(L_n), "ab")

    def style(self, L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """The style head alone (the colour decoder is not run): winter RGB (N, 3, H, W) in [-1, 1]."""
        return self.decode(self.encode(L_n), "style")

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
        return self.generator.decode(self.generator.encode(L_n), self.head)
