"""Super-resolution colorization of photos of any size: a small gray photo in, colour at 2x or 4x out.

The generator (:class:`gancolor.models.upsampling.UpsamplingGenerator`, trained by
``gancolor train superres``) runs on tiles of the low-resolution lightness: each tile carries
``margin`` px of context on every side, of which only the centre is kept, so memory is bounded
by the tile, not the photo (besides the output itself), and no tile edge shows. A 4x upscale with
a 2x model is two passes (the second sees the first's L).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gancolor.color import denormalize_lab, lab_to_rgb, normalize_lightness, unit_to_uint8
from gancolor.errors import UserError
from gancolor.imageio import MAX_PIXELS
from gancolor.infer.full_resolution import photo_lightness
from gancolor.model_files import SUPERRES_FORMAT, build_generator, read_model_file
from gancolor.runtime import package_root

__all__ = ["SuperResolver", "default_superres", "load_superres", "UPSCALES"]

#: The factors ``gancolor colorize --upscale`` offers.
UPSCALES = (2, 4)
#: Context (input px) every tile carries on each side, dropped from its output.
MARGIN = 16


def default_superres() -> Path:
    """The shipped 2x super-resolution colorizer."""
    return package_root() / "weights" / "superres_x2.pt"


@dataclass
class SuperResolver:
    """An upsampling generator ready for inference.

    Attributes:
        generator: L_n (1, 1, h, w) -> cat(L_n, ab_n) (1, 3, s h, s w), s = :attr:`scale`.
        scale: the generator's factor.
        tile: side (input px) of the tiles a large photo is cut into (centre + margins).
        meta: the rest of the model file.
    """

    generator: nn.Module
    scale: int
    tile: int = 128
    meta: dict = field(default_factory=dict)

    @torch.no_grad()
    def upscale_lab(self, L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """One pass: L_n (N, 1, h, w) in [-1, 1] -> cat(L_n, ab_n) (N, 3, s h, s w), tile by tile."""
        height, width = L_n.shape[-2:]
        s, margin = self.scale, MARGIN
        core = max(8, self.tile - 2 * margin)
        out = L_n.new_empty(len(L_n), 3, s * height, s * width)
        for top in range(0, height, core):
            for left in range(0, width, core):
                y0, x0 = max(0, top - margin), max(0, left - margin)
                y1, x1 = min(height, top + core + margin), min(width, left + core + margin)
                part = self._run_padded(L_n[..., y0:y1, x0:x1])
                bottom, right = min(height, top + core), min(width, left + core)
                out[..., s * top:s * bottom, s * left:s * right] = \
                    part[..., s * (top - y0):s * (bottom - y0), s * (left - x0):s * (right - x0)]
        return out

    def _run_padded(self, L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """The generator on L_n (N, 1, h, w) reflect-padded to its size multiple, cropped to s h x s w."""
        height, width = L_n.shape[-2:]
        multiple = self.generator.size_multiple
        pad_h, pad_w = (-height) % multiple, (-width) % multiple
        if pad_h or pad_w:
            mode = "reflect" if pad_h < height and pad_w < width else "replicate"
            L_n = F.pad(L_n, (0, pad_w, 0, pad_h), mode=mode)  # noqa: N806
        return self.generator(L_n)[..., :self.scale * height, :self.scale * width]

    def passes(self, factor: int) -> int:
        """How many passes give ``factor`` (a power of :attr:`scale`); ValueError otherwise."""
        count = round(math.log(factor, self.scale)) if factor > 1 else 0
        if count < 1 or self.scale**count != factor:
            raise ValueError(f"a x{self.scale} model upscales by powers of {self.scale}, not x{factor}")
        return count

    @torch.no_grad()
    def upscale_image(self, rgb: np.ndarray, factor: int = 2) -> np.ndarray:
        """Colour and enlarge one photo: (H, W, 3) uint8, colour or gray (only its lightness is
        used) -> (factor H, factor W, 3) uint8. Raises :class:`UserError` when the output would be
        over :data:`gancolor.imageio.MAX_PIXELS`."""
        height, width = rgb.shape[:2]
        if factor * factor * height * width > MAX_PIXELS:
            raise UserError(f"x{factor} would make {factor * width}x{factor * height} px, over the "
                            f"{MAX_PIXELS:,} pixel limit; upscale a smaller photo")
        passes = self.passes(factor)
        L_n = normalize_lightness(photo_lightness(rgb))[None].to(self.device)  # noqa: N806
        for _ in range(passes):
            lab_n = self.upscale_lab(L_n)
            L_n = lab_n[:, :1]  # noqa: N806
        rgb_out = lab_to_rgb(denormalize_lab(lab_n[:, :1], lab_n[:, 1:]).cpu())
        return unit_to_uint8(rgb_out[0]).permute(1, 2, 0).numpy()

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device


def _generator_classes() -> dict[str, type[nn.Module]]:
    from gancolor.models.upsampling import UpsamplingGenerator

    return {"UpsamplingGenerator": UpsamplingGenerator}


def load_superres(path: str | Path | None = None, device: str | torch.device = "cpu") -> SuperResolver:
    """The super-resolution colorizer of ``path`` (default: the shipped 2x one), in eval mode;
    raises :class:`~gancolor.errors.CheckpointError` (one line) for a missing or bad file."""
    path = Path(path) if path is not None else default_superres()
    blob = read_model_file(path, SUPERRES_FORMAT)
    generator = build_generator(blob.get("generator"), _generator_classes(), path).eval().to(device)
    meta = {k: v for k, v in blob.items() if k != "generator"}
    return SuperResolver(generator=generator, scale=int(generator.scale), tile=int(meta.get("tile", 128)),
                         meta=meta)
