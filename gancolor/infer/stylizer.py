"""Translate photos of any size between two domains (summer <-> winter) with trained CycleGAN generators.

A generator trained on 64 px crops is cheap at a few hundred pixels and ruinous at 24 megapixels.
So the photo is translated small, and only the *change* is brought back to full size:

    x_small = resize(x, long side inference_size)            (antialiased; never enlarged)
    delta   = G(x_small) - x_small                            what the translation changes
    y       = clamp(x + upsample_bilinear(delta), -1, 1)      at the photo's full resolution

The change of a season (snow on the ground, a colder light, bare trees) is mostly smooth, so the
upsampled delta carries it, while every fine detail of the original stays sharp: the trick of
the colorizer (:mod:`gancolor.infer.full_resolution`: low-resolution chrominance on full-resolution
lightness), applied to an
additive change. What it cannot bring back is *new* detail finer than the working resolution
(e.g. the texture of snow flakes), which appears blurred. A photo no larger than
``inference_size`` is translated directly at its own size: y = G(x).

G needs sides that are multiples of its ``size_multiple`` (4) and at least ``min_size`` (8):
the working image is reflect-padded up to that, and the padding cropped off the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gancolor.color import signed_to_uint8, uint8_to_signed
from gancolor.errors import UserError
from gancolor.infer.full_resolution import DEFAULT_INFERENCE_SIZE, run_padded, shrink, upsample, working_size
from gancolor.model_files import STYLIZER_FORMAT, build_generator, read_model_file
from gancolor.runtime import package_root

__all__ = ["DIRECTIONS", "SHIPPED_STYLIZERS", "Stylizer", "StylizerDirectionError", "default_stylizer",
           "shipped_stylizer", "load_stylizer"]

#: The two translations a stylizer holds: A -> B and B -> A.
DIRECTIONS = ("AtoB", "BtoA")

#: The shipped stylizers by name (``gancolor stylize --model NAME``): the file in gancolor/weights/.
#: "seasons" (A = summer, B = winter) is the default; "painting": A = photo, B = painting.
SHIPPED_STYLIZERS = {"seasons": "stylizer_summer2winter.pt", "painting": "stylizer_photo2painting.pt"}


def shipped_stylizer(name: str = "seasons") -> Path:
    """The file of the shipped stylizer ``name`` (a key of :data:`SHIPPED_STYLIZERS`)."""
    if name not in SHIPPED_STYLIZERS:
        raise ValueError(f"no shipped stylizer {name!r}; choose one of {', '.join(SHIPPED_STYLIZERS)}")
    return package_root() / "weights" / SHIPPED_STYLIZERS[name]


def default_stylizer() -> Path:
    """The shipped summer <-> winter stylizer file (A = summer, B = winter)."""
    return shipped_stylizer("seasons")


def _generator_classes() -> dict[str, type[nn.Module]]:
    from gancolor.models import ResnetGenerator

    return {"ResnetGenerator": ResnetGenerator}


class StylizerDirectionError(UserError, ValueError):
    """A direction the stylizer has no generator for (a one-sided model asked for B -> A)."""


@dataclass
class Stylizer:
    """Two generators, A -> B and B -> A, ready for inference (a one-sided model, e.g. CUT: A -> B only).

    Attributes:
        generators: ``{"AtoB": G_AB, "BtoA": G_BA}``, each mapping (N, 3, H, W) in [-1, 1] to the same.
        domains: names of A and B, e.g. ``("summer", "winter")``.
        inference_size: long side (px) at which photos are translated before the change is upsampled.
        meta: the rest of the file (train config, steps, source).
    """

    generators: dict[str, nn.Module]
    domains: tuple[str, str] = ("A", "B")
    inference_size: int = DEFAULT_INFERENCE_SIZE
    meta: dict = field(default_factory=dict)

    @property
    def device(self) -> torch.device:
        return next(self.generators["AtoB"].parameters()).device

    def direction(self, name: str) -> str:
        """``"AtoB"`` or ``"BtoA"`` for ``name``, which may also be ``"summer2winter"`` (domain names)."""
        a, b = self.domains
        aliases = {"AtoB": "AtoB", "BtoA": "BtoA", f"{a}2{b}": "AtoB", f"{b}2{a}": "BtoA"}
        if name not in aliases:
            raise ValueError(f"direction must be one of {', '.join(map(repr, aliases))}; got {name!r}")
        if aliases[name] not in self.generators:
            raise StylizerDirectionError(f"this stylizer is one-sided: it translates only {a} -> {b} "
                                         f"(AtoB); {name} needs a two-way model such as a CycleGAN")
        return aliases[name]

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        """The size at which a ``height`` x ``width`` image is translated (long side <= inference_size)."""
        return working_size(height, width, self.inference_size)

    @torch.no_grad()
    def translate(self, x: torch.Tensor, direction: str = "AtoB") -> torch.Tensor:
        """Translate float images at full resolution (the trick in the module docstring).

        Inputs: ``x`` (N, 3, H, W) float in [-1, 1], any H, W, on any device.
        Returns: (N, 3, H, W) in [-1, 1] on ``x``'s device.
        """
        generator = self.generators[self.direction(direction)]
        height, width = x.shape[-2:]
        small_size = self.working_size(height, width)
        if small_size == (height, width):  # small enough: y = G(x)
            return run_padded(generator, x.to(self.device)).to(x.device).clamp_(-1.0, 1.0)
        x_small = shrink(x, small_size)
        delta = run_padded(generator, x_small.to(self.device)).to(x.device) - x_small  # G(x_small) - x_small
        return (x + upsample(delta, (height, width))).clamp_(-1.0, 1.0)  # y = x + upsample(delta)

    @torch.no_grad()
    def stylize_tensor(self, images: torch.Tensor, direction: str = "AtoB",
                       batch_size: int = 32) -> torch.Tensor:
        """Translate a batch of images: (N, 3, H, W) uint8 -> (N, 3, H, W) uint8 (CPU)."""
        if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"images must be an (N, 3, H, W) uint8 tensor; "
                             f"got {tuple(images.shape)} {images.dtype}")
        outputs = []
        for start in range(0, len(images), batch_size):
            y = self.translate(uint8_to_signed(images[start:start + batch_size]), direction)
            outputs.append(signed_to_uint8(y).cpu())
        return torch.cat(outputs) if outputs else images.clone()

    @torch.no_grad()
    def stylize_image(self, rgb: np.ndarray, direction: str = "AtoB") -> np.ndarray:
        """Translate one photo at full resolution: (H, W, 3) uint8 -> (H, W, 3) uint8.

        (Alpha is not the stylizer's business: keep the input's and write it back, as
        ``gancolor colorize`` does. Gray photos read as RGB with equal channels.)
        """
        rgb = np.asarray(rgb)
        if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
            raise ValueError(f"rgb must be an (H, W, 3) uint8 array; got {rgb.shape} {rgb.dtype}")
        image = torch.from_numpy(np.ascontiguousarray(rgb)).permute(2, 0, 1)[None]  # (1, 3, H, W)
        return self.stylize_tensor(image, direction)[0].permute(1, 2, 0).numpy()


def load_stylizer(path: str | Path | None = None, device: str | torch.device = "cpu",
                  inference_size: int | None = None) -> Stylizer:
    """Load a stylizer file written by :func:`gancolor.train.cyclegan.export_stylizer`.

    ``path`` None means the shipped summer <-> winter stylizer. A missing, corrupt or wrong-kind
    file raises :class:`~gancolor.errors.CheckpointError` with a one-line reason.
    """
    path = Path(path) if path is not None else default_stylizer()
    blob = read_model_file(path, STYLIZER_FORMAT)
    classes = _generator_classes()
    generators: dict[str, nn.Module] = {}
    specs = blob.get("generators")
    for direction in DIRECTIONS:
        spec = specs.get(direction) if isinstance(specs, dict) else None
        if spec is None and direction == "BtoA" and isinstance(specs, dict) and "AtoB" in specs:
            continue  # a one-sided model (CUT): A -> B only
        generators[direction] = build_generator(spec, classes, path, name=direction).eval().to(device)
    domains = blob.get("domains", ["A", "B"])
    meta = {k: v for k, v in blob.items() if k != "generators"}
    size = inference_size or int(meta.get("inference_size", DEFAULT_INFERENCE_SIZE))
    return Stylizer(generators=generators, domains=(str(domains[0]), str(domains[1])), inference_size=size,
                    meta=meta)
