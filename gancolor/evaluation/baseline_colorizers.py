"""Colorization baselines: what a trained colorizer has to beat.

Every baseline keeps the input's lightness L and chooses only the chrominance ab, as a
colorizer does; each is a callable ``uint8 images (N, 3, H, W) -> RGB (N, 3, H, W)`` float32 in
[0, 1], so it can be scored exactly like a network (:mod:`gancolor.evaluation.colorizer_eval`):

- gray (``ab = 0``): :func:`gray_baseline`, the input itself;
- :class:`MeanAB`: the training set's mean ab on every pixel, the best *single* colour under
  an L2 loss: a faint tint;
- :class:`ColorTransfer`: example-based colour transfer in the spirit of Welsh, Ashikhmin &
  Mueller 2002 ("Transferring color to greyscale images"): take the training image whose L
  histogram is closest, and give every pixel the mean ab that the reference has at that
  lightness. It needs no training, only a set of colour photos;
- :class:`Levin2004`: for colour *hints*, Levin, Lischinski & Weiss 2004 ("Colorization using
  Optimization"): the hints spread over regions of similar lightness by one sparse linear solve
  (:mod:`gancolor.propagation`). It renders photos like a colorizer (``colorize_image``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gancolor.color import denormalize_lightness, lab_normalized_to_rgb, lab_to_rgb, rgb_to_lab, uint8_to_unit
from gancolor.data.lab import lab_batch
from gancolor.infer.full_resolution import DEFAULT_INFERENCE_SIZE, render_full_resolution, working_size
from gancolor.infer.user_hints import Hint
from gancolor.propagation import propagate_hints

__all__ = ["gray_baseline", "MeanAB", "ColorTransfer", "Levin2004", "lightness_histograms"]

_L_MAX = 100.0  # CIE L lies in [0, 100]


def _check_images(images: torch.Tensor, name: str = "images") -> None:
    if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4 \
            or images.shape[1] != 3:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"{name} must be a uint8 tensor of shape (N, 3, H, W); got {shape} "
                         f"{getattr(images, 'dtype', '')}".rstrip())


def gray_baseline(images: torch.Tensor) -> torch.Tensor:
    """The input lightness with zero chrominance: (N, 3, H, W) uint8 -> RGB float in [0, 1]."""
    L_n, ab_n = lab_batch(images)  # noqa: N806
    return lab_normalized_to_rgb(L_n, torch.zeros_like(ab_n))


def _lab(images: torch.Tensor) -> torch.Tensor:
    """uint8 RGB (N, 3, H, W) -> Lab (N, 3, H, W) float32 (L in [0, 100], ab in about [-110, 110])."""
    return rgb_to_lab(uint8_to_unit(images))


def _with_ab(L: torch.Tensor, ab: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """L (N, 1, H, W) and ab (N, 2, H, W), Lab units -> RGB (N, 3, H, W) float32 in [0, 1]."""
    return lab_to_rgb(torch.cat((L, ab.to(L.dtype)), dim=1))


def _batches(n: int, batch_size: int) -> range:
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1; got {batch_size}")
    return range(0, n, batch_size)


def lightness_histograms(images: torch.Tensor, bins: int = 32) -> torch.Tensor:
    """Normalised histogram of each image's lightness L over [0, 100].

    Inputs: ``images`` (N, 3, H, W) uint8. Returns: (N, ``bins``) float32, each row sums to 1.
    """
    _check_images(images)
    return _histograms(_lab(images)[:, 0], bins)


def _histograms(L: torch.Tensor, bins: int) -> torch.Tensor:  # noqa: N803
    """L (N, H, W) in [0, 100] -> (N, bins) float32 normalised histograms."""
    L = L.flatten(1)  # noqa: N806
    index = (L / _L_MAX * bins).long().clamp(0, bins - 1)
    counts = torch.zeros(len(L), bins).scatter_add_(1, index, torch.ones_like(L))
    return counts / max(L.shape[1], 1)


@dataclass(frozen=True)
class MeanAB:
    """Paint every pixel with one chrominance: the mean ab of a training set.

    ``ab`` (2,) float64 in Lab units. Under an L2 loss this constant is the best colour that
    ignores the image; for varied photos it is close to gray, a faint tint.
    """

    ab: torch.Tensor

    @classmethod
    def fit(cls, images: torch.Tensor, batch_size: int = 512) -> MeanAB:
        """The mean ab over every pixel of ``images`` (N, 3, H, W) uint8 (computed in float64)."""
        _check_images(images)
        total = torch.zeros(2, dtype=torch.float64)
        for start in _batches(len(images), batch_size):
            total += _lab(images[start:start + batch_size])[:, 1:].double().sum(dim=(0, 2, 3))
        pixels = images.shape[0] * images.shape[2] * images.shape[3]
        if pixels == 0:
            raise ValueError("images is empty: no pixels to average")
        return cls(ab=total / pixels)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Colorize: uint8 (N, 3, H, W) -> RGB (N, 3, H, W) float32 in [0, 1], the input's L with ``ab``."""
        _check_images(images)
        L = _lab(images)[:, :1]  # noqa: N806
        return _with_ab(L, self.ab.to(L.dtype).view(1, 2, 1, 1).expand(len(L), 2, *L.shape[2:]))


class ColorTransfer:
    """Colour transfer from the most similar training image (after Welsh et al. 2002).

    For each gray input: (1) the reference is the training image whose lightness histogram is
    nearest (L1 distance of :func:`lightness_histograms`); (2) each pixel gets the mean ab of
    the reference's pixels of about the same lightness: the reference's L axis is cut into
    ``l_bins`` bins, the mean ab of each bin forms a curve ab(L), and the pixel's ab is read off
    that curve (linear interpolation between bin centres; a bin the reference has no pixels in
    takes the value of the nearest bin that has some).

    Inputs: ``references`` (M, 3, H', W') uint8 colour images (the training set).
    Calling it colorizes ``images`` (N, 3, H, W) uint8 -> RGB (N, 3, H, W) float32 in [0, 1].
    Only small per-reference summaries are kept: histograms (M, ``hist_bins``) and curves
    (M, ``l_bins``, 2).
    """

    def __init__(self, references: torch.Tensor, l_bins: int = 16, hist_bins: int = 32,
                 batch_size: int = 256) -> None:
        _check_images(references, "references")
        if len(references) == 0:
            raise ValueError("references is empty: colour transfer needs at least one colour image")
        if l_bins < 1 or hist_bins < 1:
            raise ValueError(f"l_bins and hist_bins must be >= 1; got {l_bins} and {hist_bins}")
        self.l_bins, self.hist_bins, self.batch_size = l_bins, hist_bins, batch_size
        histograms, curves = [], []
        for start in _batches(len(references), batch_size):
            lab = _lab(references[start:start + batch_size])
            histograms.append(_histograms(lab[:, 0], hist_bins))
            curves.append(self._ab_curves(lab))
        self.histograms = torch.cat(histograms)  # (M, hist_bins)
        self.curves = torch.cat(curves)  # (M, l_bins, 2), Lab units

    def _ab_curves(self, lab: torch.Tensor) -> torch.Tensor:
        """Mean ab per lightness bin of each image: Lab (B, 3, H, W) -> (B, l_bins, 2), empty bins filled."""
        n = len(lab)
        L = lab[:, 0].flatten(1)  # (B, P)  # noqa: N806
        ab = lab[:, 1:].flatten(2).double()  # (B, 2, P)
        index = (L / _L_MAX * self.l_bins).long().clamp(0, self.l_bins - 1)  # (B, P)
        counts = torch.zeros(n, self.l_bins, dtype=torch.float64).scatter_add_(
            1, index, torch.ones_like(L, dtype=torch.float64))
        sums = torch.zeros(n, 2, self.l_bins, dtype=torch.float64).scatter_add_(
            2, index[:, None].expand(-1, 2, -1), ab)
        means = (sums / counts.clamp(min=1)[:, None]).transpose(1, 2)  # (B, l_bins, 2)
        # An empty bin copies its nearest non-empty bin (the lower one on a tie).
        bins = torch.arange(self.l_bins, dtype=torch.float64)
        distance = (bins[:, None] - bins[None, :]).abs()  # (l_bins, l_bins)
        distance = distance[None] + torch.where(counts[:, None, :] > 0, 0.0, torch.inf)  # (B, bin, source)
        source = distance.argmin(dim=2)  # (B, l_bins): first minimum, so the lower bin on a tie
        return torch.gather(means, 1, source[..., None].expand(-1, -1, 2)).float()

    def reference_index(self, images: torch.Tensor) -> torch.Tensor:
        """For each image (N, 3, H, W) uint8, the index (N,) int64 of its reference (nearest L histogram).

        Only the lightness of ``images`` is used, so gray and colour versions get the same reference.
        """
        _check_images(images)
        found = [self._nearest(_lab(images[start:start + self.batch_size])[:, 0])
                 for start in _batches(len(images), self.batch_size)]
        return torch.cat(found) if found else torch.zeros(0, dtype=torch.long)

    def _nearest(self, L: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """L (B, H, W) -> (B,) index of the reference with the nearest L histogram (L1 distance)."""
        return torch.cdist(_histograms(L, self.hist_bins), self.histograms, p=1).argmin(dim=1)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """Colorize: uint8 (N, 3, H, W) -> RGB (N, 3, H, W) float32 in [0, 1], the input's L kept."""
        _check_images(images)
        outputs = []
        for start in _batches(len(images), self.batch_size):
            chunk = images[start:start + self.batch_size]
            L = _lab(chunk)[:, :1]  # (B, 1, H, W)  # noqa: N806
            curve = self.curves[self._nearest(L[:, 0])]  # (B, l_bins, 2)
            # Linear interpolation of the curve at L, between the centres of the bins.
            position = (L[:, 0] / _L_MAX * self.l_bins - 0.5).clamp(0, self.l_bins - 1).flatten(1)  # (B, P)
            low = position.floor().long()
            high = (low + 1).clamp(max=self.l_bins - 1)
            weight = (position - low)[..., None]  # (B, P, 1)
            ab_low = torch.gather(curve, 1, low[..., None].expand(-1, -1, 2))
            ab_high = torch.gather(curve, 1, high[..., None].expand(-1, -1, 2))
            ab = ((1 - weight) * ab_low + weight * ab_high).transpose(1, 2)  # (B, 2, P)
            ab = ab.reshape(len(chunk), 2, *L.shape[2:])
            outputs.append(_with_ab(L, ab))
        return torch.cat(outputs) if outputs else torch.zeros(0, 3, *images.shape[2:])


@dataclass(frozen=True)
class Levin2004:
    """Levin, Lischinski & Weiss 2004 as a hint colorizer: no learning, one sparse solve per photo.

    Photos are processed like every colorizer's
    (:func:`gancolor.infer.full_resolution.render_full_resolution`): the hints are spread at the
    working size (long side ``inference_size`` px) and the ab map is upsampled onto the photo's
    full-resolution lightness. Without hints the answer is the gray photo.
    """

    inference_size: int = DEFAULT_INFERENCE_SIZE
    takes_hints: bool = True

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        """The (h, w) at which a ``height`` x ``width`` photo is solved (long side ``inference_size``)."""
        return working_size(height, width, self.inference_size, enlarge=True)

    def predict_ab(self, L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                   mask: torch.Tensor | None = None) -> torch.Tensor:
        """ab_n (N, 2, H, W) spread from the hint maps (N, 2, H, W), (N, 1, H, W) over L_n (N, 1, H, W)."""
        if hint_ab is None:
            return L_n.new_zeros(len(L_n), 2, *L_n.shape[-2:])
        return propagate_hints(denormalize_lightness(L_n), hint_ab, mask).to(L_n)

    def colorize_image(self, rgb: np.ndarray, hints: Sequence[Hint] | None = None) -> np.ndarray:
        """(H, W, 3) uint8 -> (H, W, 3) uint8: the photo's lightness with the hints' colours spread."""
        return render_full_resolution(rgb, self.working_size, self.predict_ab, hints)
