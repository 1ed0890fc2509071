"""Run a generator on a photo of any size: predict small, bring the answer back at full resolution.

A generator trained on small crops is cheap at a few hundred pixels and ruinous at 24 megapixels.
Every model of :mod:`gancolor.infer` therefore sees the photo at a *working size* (long side
``inference_size``, :func:`working_size`), padded to a size the network takes (:func:`pad_for`,
:func:`run_padded`), and its slowly varying answer is upsampled onto the photo's own full-resolution
detail. For colour (:func:`render_full_resolution`): the chrominance ab predicted small, joined to
the photo's full-resolution lightness L (Zhang et al. 2016, Sec. 3; Isola et al. 2017).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gancolor.color import normalize_lightness, rgb_to_lab
from gancolor.infer.lab_bands import lab_to_rgb_u8, lightness_u8
from gancolor.infer.user_hints import Hint, hints_to_maps

__all__ = [
    "DEFAULT_INFERENCE_SIZE",
    "GeneratorModel",
    "ONE_THREAD_PIXELS",
    "lightness",
    "pad_for",
    "photo_lightness",
    "predict_small",
    "render_full_resolution",
    "run_padded",
    "shrink",
    "upsample",
    "working_size",
]

#: Long side (px) at which a photo's chrominance is predicted, unless the checkpoint says otherwise.
DEFAULT_INFERENCE_SIZE = 256


def pad_for(generator: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``x`` (N, C, h, w) padded at the bottom and right to a size ``generator`` takes: sides that are
    multiples of its ``size_multiple`` and at least its ``min_size`` (either attribute absent = 1).

    Reflect padding, or replicate where a side is too short to reflect (reflect needs pad < side).
    Returns ``x`` itself when it needs no padding.
    """
    multiple = int(getattr(generator, "size_multiple", 1))
    minimum = int(getattr(generator, "min_size", 1))
    height, width = x.shape[-2:]
    pad_h = max(minimum, -(-height // multiple) * multiple) - height
    pad_w = max(minimum, -(-width // multiple) * multiple) - width
    if pad_h or pad_w:
        mode = "reflect" if pad_h < height and pad_w < width else "replicate"
        x = F.pad(x, (0, pad_w, 0, pad_h), mode=mode)
    return x


def run_padded(generator: nn.Module, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, ...]:
    """``generator(x)`` for ``x`` (N, C, h, w) of any size: padded by :func:`pad_for`, then the
    output (or each output of a generator that returns a tuple) cropped back to (h, w)."""
    height, width = x.shape[-2:]
    out = generator(pad_for(generator, x))
    if isinstance(out, tuple):
        return tuple(o[..., :height, :width] for o in out)
    return out[..., :height, :width]


def working_size(height: int, width: int, long_side: int, *, enlarge: bool = False) -> tuple[int, int]:
    """The size (h, w) at which a ``height`` x ``width`` photo is processed: its long side scaled to
    ``long_side`` (only ever shrunk unless ``enlarge``), the aspect ratio kept."""
    scale = long_side / max(height, width)
    if not enlarge:
        scale = min(1.0, scale)
    return max(1, round(height * scale)), max(1, round(width * scale))


def lightness(rgb: torch.Tensor) -> torch.Tensor:
    """CIE L of sRGB images: (..., 3, H, W) in [0, 1] -> (..., 1, H, W) in [0, 100]."""
    return rgb_to_lab(rgb)[..., :1, :, :]


def photo_lightness(rgb: np.ndarray) -> torch.Tensor:
    """CIE L of a photo: (H, W, 3) uint8 (colour or gray) -> (1, H, W) float32 in [0, 100]
    (:func:`gancolor.infer.lab_bands.lightness_u8`: band by band, 4 bytes per pixel)."""
    return torch.from_numpy(lightness_u8(rgb))[None]


def shrink(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, C, H, W) resized to ``size`` = (h, w) for the network: bilinear, antialiased."""
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)


def upsample(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, C, h, w) brought back to the photo's ``size`` = (H, W): bilinear."""
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


_Model = TypeVar("_Model", bound="GeneratorModel")


@dataclass
class GeneratorModel:
    """One generator ready for inference, read from a model file (base of
    :class:`~gancolor.infer.colorizer.Colorizer` and :class:`~gancolor.infer.multitask_model.MultiTaskModel`).

    Attributes:
        generator: the network (see the subclasses).
        inference_size: long side (px) at which photos are processed.
        meta: the rest of the model file (train config, steps ...).
    """

    generator: nn.Module
    inference_size: int = DEFAULT_INFERENCE_SIZE
    meta: dict = field(default_factory=dict)

    @property
    def device(self) -> torch.device:
        return next(self.generator.parameters()).device

    @classmethod
    def from_model_file(cls: type[_Model], blob: dict, generator: nn.Module,
                        device: str | torch.device = "cpu", inference_size: int | None = None) -> _Model:
        """The model of ``generator`` (built from ``blob["generator"]``), put in eval mode on ``device``.

        ``blob`` is the model file's dict: the rest of it becomes :attr:`meta`. ``inference_size``
        None means the file's (or :data:`DEFAULT_INFERENCE_SIZE` if it has none).
        """
        generator.eval().to(device)
        meta = {k: v for k, v in blob.items() if k != "generator"}
        size = inference_size or int(meta.get("inference_size", DEFAULT_INFERENCE_SIZE))
        return cls(generator=generator, inference_size=size, meta=meta)


def render_full_resolution(rgb: np.ndarray, size_for: Callable[[int, int], tuple[int, int]],
                           predict_ab: Callable[..., torch.Tensor],
                           hints: Sequence[Hint] | None = None) -> np.ndarray:
    """Colour a photo of any size by predicting its chrominance small and keeping its own lightness.

    The photo's L is shrunk to the working size ``size_for(H, W)``, ``predict_ab(L_n, hint_ab, mask)``
    gives ab_n there ((1, 1, h, w) in [-1, 1] -> (1, 2, h, w); the hint maps are None without
    hints), and ab is upsampled bilinearly and joined to the full-resolution L.
    Inputs: ``rgb`` (H, W, 3) uint8, colour or gray; ``hints`` in the photo's pixel coordinates.
    Returns: (H, W, 3) uint8 with the input's exact lightness. Every colorizer and the Levin et al.
    baseline (:class:`gancolor.evaluation.baseline_colorizers.Levin2004`) render photos this way.
    The full-resolution steps work band by band (:mod:`gancolor.infer.lab_bands`): about 10 bytes
    per pixel besides the input.
    """
    L_full = lightness_u8(rgb)  # (H, W) float32 in [0, 100]  # noqa: N806
    return lab_to_rgb_u8(L_full, predict_small(L_full, size_for, predict_ab, hints))


def predict_small(L_full: np.ndarray, size_for: Callable[[int, int], tuple[int, int]],  # noqa: N803
                  predict_ab: Callable[..., torch.Tensor],
                  hints: Sequence[Hint] | None = None) -> torch.Tensor:
    """The chrominance of a photo of lightness ``L_full`` ((H, W) float32 in [0, 100]) at the working
    size: L shrunk to ``size_for(H, W)`` = (h, w), then ``predict_ab(L_n, hint_ab, mask)`` (see
    :func:`render_full_resolution`). Returns ab_n (1, 2, h, w)."""
    height, width = L_full.shape
    small_size = size_for(height, width)
    maps = hints_to_maps(hints, *small_size, source_size=(height, width)) if hints else (None, None)
    with torch.inference_mode(), _one_thread_for(small_size):
        L_small = shrink(torch.from_numpy(L_full)[None, None], small_size)  # noqa: N806
        return predict_ab(normalize_lightness(L_small), *maps)


#: A working image of up to this many pixels is shrunk to and run through the network on one intra-op
#: thread: that is tens of milliseconds of work, and threads that spin-wait for each other cost up to a
#: second when other programs share the cores. (The full-resolution work has threads of its own.)
ONE_THREAD_PIXELS = 512 * 512


@contextmanager
def _one_thread_for(size: tuple[int, int]) -> Iterator[None]:
    """Within the block, torch uses one intra-op thread if ``size`` (h, w) has at most
    :data:`ONE_THREAD_PIXELS` pixels (the thread count is restored after)."""
    before = torch.get_num_threads()
    if size[0] * size[1] > ONE_THREAD_PIXELS or before == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
