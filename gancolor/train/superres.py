"""Super-resolution colorization as pix2pix: a gray photo at low resolution in, colour at ``scale`` x
its size out, with the pix2pix step of :mod:`gancolor.train.pix2pix` unchanged.

    x = L_n of the crop shrunk by ``scale`` (area average: what a small photo is)    (B, 1, S/k, S/k)
    G(x) = (L_n, ab_n) at S x S     (:class:`gancolor.models.upsampling.UpsamplingGenerator`)
    y = (L_n, ab_n) of the S x S crop

The objective is pix2pix eq. 4 with the L1 on both outputs, min_G L_cGAN + λ (||L - G_L||₁ +
||ab - G_ab||₁), D judging the whole (L, ab) image; with ``l1_only`` (the shipped model) the L1
terms alone, which is what PSNR and SSIM reward. ``perceptual`` adds Johnson et al.'s feature loss.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from gancolor.color import lab_normalized_to_rgb, uint8_to_unit
from gancolor.data import lab_batch
from gancolor.model_files import SUPERRES_FORMAT, generator_record, write_model_file
from gancolor.models.upsampling import SCALES, UpsamplingGenerator
from gancolor.train.engine import Networks, eval_mode
from gancolor.train.pix2pix import ColorizationTrainer, ColorizeConfig

__all__ = ["SuperResConfig", "SuperResTrainer", "export_superres", "shrink_lightness"]


@dataclass
class SuperResConfig(ColorizeConfig):
    """A super-resolution colorization run: ``image_size`` is the high-resolution crop, the input
    is ``image_size / scale``; the U-Net's defaults are the colorizer's (depth 5 on 32 px inputs)."""

    scale: int = 2
    features: int = 32  # channels the U-Net hands to the pixel-shuffle blocks
    dropout: float = 0.0  # no noise: the shipped model is L1 only
    l1_only: bool = True


def shrink_lightness(L: torch.Tensor, scale: int) -> torch.Tensor:  # noqa: N803
    """L_n (N, 1, H, W) -> (N, 1, H/scale, W/scale): the mean of each scale x scale block, the
    low-resolution photo a camera with 1/scale the pixels would have taken."""
    return F.avg_pool2d(L, scale)


class SuperResTrainer(ColorizationTrainer):
    """:class:`ColorizationTrainer` with an upsampling G and a low-resolution input (same step)."""

    name = "superres"
    config: SuperResConfig

    def build_generator(self, in_channels: int) -> torch.nn.Module:
        """G: :class:`UpsamplingGenerator` on the low-resolution L."""
        config = self.config
        if config.hints or config.classify:
            raise ValueError("super-resolution colorization takes neither hints nor classify")
        if config.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}; got {config.scale}")
        G = UpsamplingGenerator(scale=config.scale, width=config.width, depth=config.depth,  # noqa: N806
                                max_width=config.max_width, norm=config.norm, dropout=config.dropout,
                                features=config.features)
        if config.image_size % (config.scale * G.size_multiple):
            raise ValueError(f"image_size {config.image_size} must be a multiple of scale x 2**depth = "
                             f"{config.scale * G.size_multiple}")
        return G

    def generator_input(self, step: int, L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """G's input: the crop's L_n shrunk by ``scale``, (B, 1, S/k, S/k)."""
        return shrink_lightness(L, self.config.scale)

    def generate(self, nets: Networks, batch: dict) -> dict:
        """G(x): ``L`` (B, 1, S, S) and ``ab`` (B, 2, S, S), both normalised."""
        out = nets.G(batch["x"])
        return {"L": out[:, :1], "ab": out[:, 1:]}

    def preview(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """On held-out uint8 photos (N, 3, S, S): ``input`` (the small gray photo, nearest-upscaled
        to S), ``output`` and ``truth``, each (N, 3, S, S) in [0, 1]."""
        L, ab = lab_batch(images.to(self.device))  # noqa: N806
        x = self.generator_input(0, L, ab)
        with eval_mode(self.G):
            out = self.G(x)
        small = F.interpolate(x, scale_factor=self.config.scale, mode="nearest")
        return {"input": lab_normalized_to_rgb(small, torch.zeros_like(ab)),
                "output": lab_normalized_to_rgb(out[:, :1], out[:, 1:]), "truth": uint8_to_unit(images)}


def export_superres(trainer: SuperResTrainer, path: str | os.PathLike, half: bool = True,
                    tile: int | None = None) -> Path:
    """Write the generator as a super-resolution file for
    :func:`gancolor.infer.upscaler.load_superres`, atomically: the generator, the training config,
    the steps done, ``scale`` and ``tile`` (the input tile side in px inference works in; default
    4 x the training input). Returns the path."""
    config = trainer.config
    contents = {
        "generator": generator_record(trainer.G, half),
        "train_config": config.to_dict(),
        "steps": int(trainer.step),
        "scale": int(config.scale),
        "tile": int(tile or 4 * config.image_size // config.scale),
    }
    return write_model_file(path, SUPERRES_FORMAT, contents)
