"""The pix2pix U-Net generator (Isola et al. 2017, Sec. 3.2.1 and appendix 6.1.1).

An encoder halves the image ``depth`` times down to a bottleneck; a decoder doubles it back.
Each decoder step sees its input concatenated with the encoder features of the same size (the
skip connection), so fine detail need not squeeze through the bottleneck. For colorization this
matters: the edges of the lightness image are where the colour edges are.

The pix2pix configuration (``width=64, depth=8``) on a 256x256 image, ``C_k`` = k channels::

    encoder: [LeakyReLU 0.2] -> Conv4x4 s2 -> norm     decoder: ReLU -> ConvT4x4 s2 -> norm [-> dropout]
    e1  C64   256 -> 128  (no activation, no norm)      d1  C_out 128 -> 256  in cat(d2, e1); no norm; Tanh
    e2  C128  128 -> 64                                 d2  C64    64 -> 128  in cat(d3, e2)
    e3  C256   64 -> 32                                 d3  C128   32 -> 64   in cat(d4, e3)
    e4  C512   32 -> 16                                 d4  C256   16 -> 32   in cat(d5, e4)
    e5  C512   16 -> 8                                  d5  C512    8 -> 16   in cat(d6, e5)
    e6  C512    8 -> 4                                  d6  C512    4 -> 8    in cat(d7, e6); dropout
    e7  C512    4 -> 2                                  d7  C512    2 -> 4    in cat(d8, e7); dropout
    e8  C512    2 -> 1  (no norm: a single pixel)       d8  C512    1 -> 2    in e8;          dropout

The activation sits at the start of a block (pre-activation, as in pix2pix), so the skip
features are the normalised conv outputs and the decoder's ReLU acts on skip and upsampled
features alike.
"""

from __future__ import annotations

import torch
from torch import nn

from gancolor.models.init import NORMS, check_choice, init_weights, make_norm, uses_bias

__all__ = [
    "UNetGenerator",
    "UPSAMPLE_MODES",
    "check_size_multiple",
    "run_decoder",
    "run_encoder",
    "unet_channels",
    "unet_decoder",
    "unet_encoder",
]

#: How the decoder doubles the resolution.
UPSAMPLE_MODES = ("transpose", "bilinear")
#: What the last layer becomes (see :class:`UNetGenerator`): tanh, prior + tanh residual, raw logits.
OUTPUTS = ("tanh", "residual", "logits")


def _down_block(in_channels: int, out_channels: int, norm: str, activate: bool) -> nn.Sequential:
    """[LeakyReLU 0.2] -> Conv4x4 stride 2 -> norm: (N, C_in, H, W) -> (N, C_out, H/2, W/2)."""
    layers: list[nn.Module] = [nn.LeakyReLU(0.2)] if activate else []
    layers += [
        nn.Conv2d(in_channels, out_channels, kernel_size=4, stride=2, padding=1, bias=uses_bias(norm)),
        make_norm(norm, out_channels),
    ]
    return nn.Sequential(*layers)


def _up_block(in_channels: int, out_channels: int, norm: str, dropout: float, upsample: str) -> nn.Sequential:
    """ReLU -> x2 upsampling conv -> norm [-> dropout]: (N, C_in, H, W) -> (N, C_out, 2H, 2W).

    ``upsample="transpose"``: ConvTranspose4x4 stride 2 (pix2pix). ``"bilinear"``: bilinear x2
    then Conv3x3, which every output pixel sees through the same kernel, so there is no
    checkerboard pattern (Odena et al. 2016, "Deconvolution and checkerboard artifacts").
    """
    bias = uses_bias(norm)
    if upsample == "transpose":
        resize = [nn.ConvTranspose2d(in_channels, out_channels, 4, stride=2, padding=1, bias=bias)]
    else:
        resize = [
            nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
            nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=bias),
        ]
    layers = [nn.ReLU(), *resize, make_norm(norm, out_channels)]
    if dropout > 0:
        layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def unet_channels(width: int, depth: int, max_width: int) -> list[int]:
    """Channels of e1 .. e_depth: width, 2 width, 4 width ... capped at max_width."""
    return [min(width * 2**i, max_width) for i in range(depth)]


def unet_encoder(in_channels: int, channels: list[int], norm: str) -> nn.ModuleList:
    """The U-Net encoder for ``channels`` (:func:`unet_channels`), as in :class:`UNetGenerator`.

    encoder[i] = e_{i+1}: (N, C, H / 2**i, W / 2**i) -> (N, channels[i], H / 2**(i+1), W / 2**(i+1));
    no norm on the first block (the image) and the last one (the 1x1 bottleneck at full depth).
    """
    depth = len(channels)
    return nn.ModuleList(
        _down_block(
            in_channels if i == 0 else channels[i - 1],
            channels[i],
            norm="none" if i in (0, depth - 1) else norm,  # the image / the (1x1) bottleneck
            activate=i > 0,
        )
        for i in range(depth)
    )


def unet_decoder(channels: list[int], out_channels: int, norm: str, dropout: float,
                 upsample: str) -> nn.ModuleList:
    """A U-Net decoder for encoder features of ``channels``, as in :class:`UNetGenerator`.

    decoder[i] = d_{i+1}: (N, C, H / 2**(i+1), ..) -> (N, channels[i-1] or out_channels, H / 2**i, ..).
    Its input is cat(d_{i+2}, e_{i+1}) = 2 channels[i] channels, except the innermost one. Dropout
    in the 3 innermost blocks (fewer if depth < 4), never on the output block, which has no norm.
    """
    depth = len(channels)
    n_dropout = min(3, depth - 1)  # never on the output block
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


def run_encoder(encoder: nn.ModuleList, x: torch.Tensor) -> list[torch.Tensor]:
    """The features [e1, ..., e_depth] of ``x``, e_i of shape (N, C_i, H / 2**i, W / 2**i)."""
    features, h = [], x
    for down in encoder:  # H -> H/2 -> ... -> H / 2**depth
        h = down(h)
        features.append(h)
    return features


def run_decoder(decoder: nn.ModuleList, features: list[torch.Tensor]) -> torch.Tensor:
    """The decoder's output h on encoder ``features`` (before the final tanh)."""
    skips = list(features)
    h = decoder[-1](skips.pop())  # the bottleneck has no skip partner
    for up in reversed(decoder[:-1]):  # H / 2**(depth-1) -> ... -> H
        h = up(torch.cat([h, skips.pop()], dim=1))  # skip connection: concatenate along channels
    return h


def check_size_multiple(x: torch.Tensor, multiple: int, model: str) -> None:
    """Raise ValueError unless H and W of ``x`` are multiples of ``multiple`` = 2**depth, naming
    ``model`` (e.g. "UNetGenerator(depth=8)") and the size to pad to."""
    height, width = x.shape[-2:]
    if height % multiple or width % multiple:
        raise ValueError(f"{model} needs H and W divisible by 2**depth = {multiple}; got {height}x{width} "
                         f"(pad to {-(-height // multiple) * multiple}x{-(-width // multiple) * multiple})")


class UNetGenerator(nn.Module):
    """pix2pix U-Net: an image (N, in_channels, H, W) -> an image (N, out_channels, H, W) in [-1, 1].

    For colorization ``in_channels=1`` (L_n) and ``out_channels=2`` (ab_n); extra input channels
    carry user colour hints. H and W must be multiples of :attr:`size_multiple` = 2**depth.

    Args:
        in_channels, out_channels: channels of the input and output images.
        width: channels of the first encoder block; they double per block up to ``max_width``.
        depth: number of encoder (and decoder) blocks; 8 brings 256x256 down to 1x1.
        norm: ``"batch"``, ``"instance"`` or ``"none"``; never on the first and the innermost
            encoder block, nor on the output block.
        dropout: drop probability in the 3 innermost decoder blocks (fewer if ``depth`` < 4),
            pix2pix's source of noise. It acts in train mode only; call ``model.train()`` for
            stochastic outputs at test time as pix2pix does.
        upsample: ``"transpose"`` (pix2pix) or ``"bilinear"`` (+ 3x3 conv, no checkerboard).
        output: what the last layer's h becomes (:data:`OUTPUTS`): ``"tanh"``, tanh(h) in [-1, 1]
            (pix2pix); ``"residual"``, clamp(prior + tanh(h), -1, 1), where the prior is the last
            ``out_channels`` input channels (e.g. hint colours already spread by Levin et al.
            2004): the network learns what to *add* to it, and its output layer starts at zero,
            so an untrained model returns the prior exactly; ``"logits"``, h itself (e.g. scores
            over quantised ab bins for Zhang et al. 2016's classification colorizer, through a 1x1
            conv on ``width`` features).
    """

    def __init__(
        self,
        in_channels: int = 1,
        out_channels: int = 2,
        width: int = 64,
        depth: int = 8,
        max_width: int = 512,
        norm: str = "batch",
        dropout: float = 0.5,
        upsample: str = "transpose",
        output: str = "tanh",
    ) -> None:
        super().__init__()
        check_choice("norm", norm, NORMS)
        check_choice("upsample", upsample, UPSAMPLE_MODES)
        check_choice("output", output, OUTPUTS)
        if output == "residual" and in_channels <= out_channels:
            raise ValueError(f"output='residual' needs the prior as the last {out_channels} of more than "
                             f"{out_channels} input channels; got in_channels={in_channels}")
        if depth < 1 or width < 1 or max_width < 1 or in_channels < 1 or out_channels < 1:
            raise ValueError("depth, width, max_width, in_channels and out_channels must be >= 1")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1); got {dropout}")
        self.config = dict(in_channels=in_channels, out_channels=out_channels, width=width, depth=depth,
                           max_width=max_width, norm=norm, dropout=dropout, upsample=upsample)
        if output != "tanh":  # recorded only when set, so older model files read back unchanged
            self.config["output"] = output
        self.output = output
        self.in_channels = in_channels
        self.size_multiple = 2**depth

        channels = unet_channels(width, depth, max_width)
        self.encoder = unet_encoder(in_channels, channels, norm)  # encoder[i] = e_{i+1}
        # For logits (many classes) the last block gives `width` features and a 1x1 conv scores the
        # classes: a 4x4 transposed conv straight to hundreds of channels would cost 8x more.
        last = width if output == "logits" else out_channels
        self.decoder = unet_decoder(channels, last, norm, dropout, upsample)  # decoder[i] = d_{i+1}
        self.head = (nn.Sequential(nn.ReLU(), nn.Conv2d(width, out_channels, 1))
                     if output == "logits" else None)
        init_weights(self)
        if output == "residual":  # start as the identity on the prior: tanh(0) = 0
            convs = (nn.Conv2d, nn.ConvTranspose2d)
            last = [m for m in self.decoder[0].modules() if isinstance(m, convs)][-1]
            nn.init.zeros_(last.weight)
            if last.bias is not None:
                nn.init.zeros_(last.bias)

    def _check_input(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"UNetGenerator expects input of shape (N, {self.in_channels}, H, W); "
                             f"got {tuple(x.shape)}")
        check_size_multiple(x, self.size_multiple, f"UNetGenerator(depth={self.config['depth']})")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs: ``x`` (N, in_channels, H, W), e.g. L_n in [-1, 1].

        Returns: (N, out_channels, H, W) in [-1, 1], e.g. ab_n (unbounded scores for ``output="logits"``).
        """
        self._check_input(x)
        h = run_decoder(self.decoder, run_encoder(self.encoder, x))
        if self.head is not None:  # output == "logits"
            return self.head(h)
        if self.output == "residual":
            return (x[:, -h.shape[1]:] + torch.tanh(h)).clamp(-1.0, 1.0)
        return torch.tanh(h)
