"""Exemplar-based colorization: a colour reference photo says which colours a gray photo gets.

A gray pixel's colour is ambiguous (a car can be red or blue); a reference photo of a similar scene
removes the ambiguity. Welsh, Ashikhmin & Mueller 2002, "Transferring color to greyscale images":

1. **luminance remapping** -- shift and scale the reference's lightness to the target's statistics,
   so that "as bright as" means the same in both photos::

       L_ref' = sigma_t / sigma_r * (L_ref - mu_r) + mu_t                                  (Sec. 3)

2. **features** -- each pixel is described by its lightness and the standard deviation of the
   lightness in a 5 x 5 neighbourhood (texture), weighted equally (:func:`welsh_features`);
3. **jittered samples** -- about 200 reference pixels on a jittered grid (:func:`jittered_samples`)
   stand for the reference;
4. **matching** -- each target pixel takes the chrominance ab of the sample whose features are
   nearest (:func:`match_ab`: an exhaustive search in torch, chunked so memory stays bounded).

Further (:class:`ExemplarColorizer` with ``method="refined"``, the default): 1024 samples instead
of 200 and the mean ab of the 16 nearest samples instead of the one nearest (a soft match: less
noise, fewer wild colours). Settings were chosen on the train and val real photos (rocket,
motorcycle, chelsea; each half coloured from the other, :mod:`gancolor.evaluation.exemplar_eval`):
this gains 1.4 dB over Welsh et al. there. Measured there and **not** kept, as they did not help:
richer features (``features="multiscale"``, :func:`multiscale_features`: L with local means and
deviations at 3, 9 and 27 px, -0.2 dB; with windows (5,), (3, 9) or (5, 15) -0.1 to -0.3 dB),
spatial regularisation of the matches along the lightness edges with Levin et al. 2004's affinities
(:func:`propagate_confident`, ``strength`` > 0: 0.0 to -0.1 dB), and the encoder features of the
shipped L1 colorizer's U-Net added to Welsh's (``features="unet"``, :func:`unet_features`: -0.4 dB;
that encoder learnt to colour 64-px crops, not to find correspondences). The model card has the
figures on the held-out test photos.

Photos of any size: both photos are matched at a working size (long side ``inference_size``), and
the target's ab is upsampled onto its own full-resolution lightness as every colorizer does
(:func:`gancolor.infer.full_resolution.render_full_resolution`). Shapes: lightness ``L`` (H, W) in
[0, 100]; ab in Lab units (about [-110, 110]); features (C, H, W).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from gancolor.color import denormalize_lightness, normalize_ab, rgb_to_lab
from gancolor.errors import UserError
from gancolor.infer.full_resolution import DEFAULT_INFERENCE_SIZE, render_full_resolution, working_size
from gancolor.infer.user_hints import Hint

__all__ = [
    "FEATURES",
    "METHODS",
    "ExemplarColorizer",
    "Reference",
    "jittered_samples",
    "load_reference",
    "local_mean_std",
    "match_ab",
    "multiscale_features",
    "propagate_confident",
    "reference_colorizer",
    "remap_luminance",
    "unet_features",
    "welsh_features",
]

#: The methods of :class:`ExemplarColorizer`: Welsh et al. 2002 as published, and the refined one.
METHODS = ("welsh", "refined")
#: Welsh et al.'s neighbourhood (px) for the texture statistic, and their number of samples.
WELSH_WINDOW = 5
WELSH_SAMPLES = 200
#: The multi-scale features' neighbourhoods (px); the refined method's samples, neighbours, regularisation.
REFINED_WINDOWS = (3, 9, 27)
REFINED_SAMPLES = 1024
REFINED_NEIGHBOURS = 16
REFINED_STRENGTH = 0.0
#: Spreads (ab units) below this are all equally confident.
_MIN_SPREAD_SCALE = 1.0
#: At most this many distances (floats) are held at once by :func:`match_ab`.
_DISTANCE_BUDGET = 1 << 22


def remap_luminance(L_ref: torch.Tensor, L_target: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """The reference's lightness moved to the target's mean and standard deviation (Welsh et al., Sec. 3).

    Inputs: ``L_ref`` and ``L_target``, lightness of any shapes (in [0, 100]). Returns ``L_ref'``
    (``L_ref``'s shape) with the target's mean and standard deviation; a flat reference is only shifted.
    """
    mu_r, sigma_r = L_ref.mean(), L_ref.std(unbiased=False)
    mu_t, sigma_t = L_target.mean(), L_target.std(unbiased=False)
    scale = sigma_t / sigma_r if sigma_r > 1e-6 else torch.ones_like(sigma_t)
    return scale * (L_ref - mu_r) + mu_t  # L_ref' = sigma_t / sigma_r (L_ref - mu_r) + mu_t


def local_mean_std(L: torch.Tensor, window: int) -> tuple[torch.Tensor, torch.Tensor]:  # noqa: N803
    """Mean and standard deviation of ``L`` (H, W) over the ``window`` x ``window`` neighbourhood of
    every pixel (reflected at the borders). Returns two (H, W) tensors."""
    pad = window // 2
    mode = "reflect" if min(L.shape) > pad else "replicate"
    x = F.pad(L[None, None].float(), (pad, pad, pad, pad), mode=mode)
    mean = F.avg_pool2d(x, window, stride=1)[0, 0]
    mean_sq = F.avg_pool2d(x * x, window, stride=1)[0, 0]
    return mean, (mean_sq - mean * mean).clamp(min=0).sqrt()


def welsh_features(L: torch.Tensor, window: int = WELSH_WINDOW) -> torch.Tensor:  # noqa: N803
    """Welsh et al.'s pixel description: (L, standard deviation of L over ``window`` x ``window``).

    Inputs: ``L`` (H, W) in [0, 100]. Returns (2, H, W); both in lightness units, so a Euclidean
    distance weights them equally (the paper's 50/50 weighting).
    """
    return torch.stack([L.float(), local_mean_std(L, window)[1]])


def multiscale_features(L: torch.Tensor, windows: Sequence[int] = REFINED_WINDOWS) -> torch.Tensor:  # noqa: N803
    """A richer description: L, then the local mean and standard deviation of L at each of ``windows``.

    Inputs: ``L`` (H, W) in [0, 100]. Returns (1 + 2 len(windows), H, W) in lightness units: the
    means say what surrounds a pixel (the sky above a roof), the deviations how textured it is.
    """
    stats = [s for window in windows for s in local_mean_std(L, window)]
    return torch.stack([L.float(), *stats])


def jittered_samples(height: int, width: int, count: int, seed: int = 0) -> torch.Tensor:
    """About ``count`` pixel indices of an ``height`` x ``width`` image on a jittered grid (Welsh et al.):
    one uniformly random pixel in each cell of a regular grid. Seeded: the same arguments give the
    same samples. Returns a 1-D long tensor of distinct flat indices (row * width + column)."""
    count = max(1, min(count, height * width))
    rows = max(1, min(height, round((count * height / width) ** 0.5)))
    cols = max(1, min(width, -(-count // rows)))
    generator = torch.Generator().manual_seed(seed)
    top = torch.div(torch.arange(rows) * height, rows, rounding_mode="floor")
    left = torch.div(torch.arange(cols) * width, cols, rounding_mode="floor")
    cell_h = torch.diff(torch.cat([top, torch.tensor([height])]))
    cell_w = torch.diff(torch.cat([left, torch.tensor([width])]))
    y = top[:, None] + (torch.rand(rows, cols, generator=generator) * cell_h[:, None]).long()
    x = left[None, :] + (torch.rand(rows, cols, generator=generator) * cell_w[None, :]).long()
    return (y * width + x).flatten()


def match_ab(target: torch.Tensor, samples: torch.Tensor, sample_ab: torch.Tensor, k: int = 1
             ) -> tuple[torch.Tensor, torch.Tensor]:
    """Each target pixel's colour from its nearest reference samples in feature space.

    Inputs: ``target`` (C, P) features of P pixels; ``samples`` (C, S) features of S reference
    samples; ``sample_ab`` (2, S) their chrominance. ``k``: number of nearest samples averaged.
    Returns: ab (2, P), the mean ab of the k nearest samples (Euclidean distance), and their spread
    (P,): the root-mean-square distance of those k colours from their mean (0 for k = 1), a
    confidence (low = the matches agree). Exhaustive search, chunked over the target pixels so at
    most about ``_DISTANCE_BUDGET`` distances exist at once.
    """
    k = min(k, samples.shape[1])
    chunk = max(1, _DISTANCE_BUDGET // max(1, samples.shape[1]))
    ref = samples.T.contiguous().float()
    ab_out, spread_out = [], []
    for start in range(0, target.shape[1], chunk):
        part = target[:, start:start + chunk].T.float()
        distance = torch.cdist(part, ref)  # (p, S)
        nearest = distance.topk(k, dim=1, largest=False).indices  # (p, k)
        colours = sample_ab.T[nearest]  # (p, k, 2)
        mean = colours.mean(1)
        ab_out.append(mean.T)
        spread_out.append((colours - mean[:, None]).square().sum(-1).mean(1).sqrt())
    return torch.cat(ab_out, 1), torch.cat(spread_out)


#: Encoder levels of the shipped colorizer's U-Net used by :func:`unet_features`, and their weight.
UNET_LEVELS = 3
UNET_WEIGHT = 3.0


def unet_features(L: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """Welsh et al.'s features plus what a network trained in this course sees: the first
    :data:`UNET_LEVELS` encoder levels of the shipped automatic colorizer's U-Net
    (:func:`gancolor.infer.colorizer.load_colorizer`), upsampled to (h, w), each level scaled to a
    mean standard deviation of :data:`UNET_WEIGHT` lightness units over the image (each image to its
    own spread, as the luminance remapping does for L).

    Inputs: ``L`` (h, w) in [0, 100]. Returns (2 + channels, h, w).
    """
    from gancolor.color import normalize_lightness
    from gancolor.infer.full_resolution import pad_for
    from gancolor.models.unet import run_encoder

    generator = _shipped_generator()
    height, width = L.shape
    x = pad_for(generator, normalize_lightness(L.float())[None, None])
    with torch.no_grad():
        levels = run_encoder(generator.encoder[:UNET_LEVELS], x)
    scaled = []
    for level in levels:  # (1, C, H / 2^i, W / 2^i) -> (C, h, w)
        level = F.interpolate(level, size=x.shape[-2:], mode="bilinear", align_corners=False)
        level = level[0, :, :height, :width]
        scaled.append(level * (UNET_WEIGHT / (level.flatten(1).std(1).mean() + 1e-6)))
    return torch.cat([welsh_features(L), *scaled])


@functools.cache
def _shipped_generator() -> torch.nn.Module:
    from gancolor.infer.colorizer import load_colorizer

    return load_colorizer().generator


#: The pixel descriptions :class:`ExemplarColorizer` can match on, by name.
FEATURES = {"welsh": welsh_features, "multiscale": multiscale_features, "unet": unet_features}


@dataclass(frozen=True)
class Reference:
    """A colour reference photo at the working size: ``L`` (h, w) in [0, 100] and ``ab`` (2, h, w)."""

    L: torch.Tensor
    ab: torch.Tensor

    @classmethod
    def from_rgb(cls, rgb: np.ndarray, long_side: int = DEFAULT_INFERENCE_SIZE) -> Reference:
        """The reference of an (H, W, 3) uint8 photo of any size, shrunk to ``long_side`` (never enlarged)."""
        height, width = rgb.shape[:2]
        size = working_size(height, width, long_side)
        if size != (height, width):
            rgb = np.asarray(Image.fromarray(np.asarray(rgb)).resize(size[::-1], Image.Resampling.BILINEAR,
                                                                     reducing_gap=2.0))
        lab = rgb_to_lab(torch.from_numpy(np.array(rgb)).permute(2, 0, 1).float() / 255.0)  # (a small copy)
        return cls(L=lab[0], ab=lab[1:])


def load_reference(path: str | Path, long_side: int = DEFAULT_INFERENCE_SIZE) -> Reference:
    """The reference photo at ``path`` (:func:`gancolor.imageio.read_rgb`); a missing or unreadable
    file raises :class:`~gancolor.imageio.ImageReadError` naming it, a gray one a one-line
    :class:`~gancolor.errors.UserError`."""
    from gancolor.imageio import read_rgb

    reference = Reference.from_rgb(read_rgb(path), long_side)
    if float(reference.ab.abs().max()) < 1.0:
        raise UserError(f"{path}: the reference photo has no colour (it is gray); give a colour photo")
    return reference


@dataclass(frozen=True)
class ExemplarColorizer:
    """Colour gray photos from a colour :class:`Reference` (Welsh et al. 2002, or the refined method).

    Attributes:
        reference: the colour photo whose colours the targets take.
        method: ``"welsh"`` (the paper: (L, std 5 x 5), 200 jittered samples, nearest sample) or
            ``"refined"`` (the same features, 1024 samples, mean ab of the 16 nearest).
        inference_size: long side (px) of the working size at which pixels are matched.
        seed: seed of the jittered samples (the same photo always gets the same colours).
        samples, neighbours: the method's settings (None = the method's default).
        features: ``"welsh"`` (:func:`welsh_features`, the default of both methods), ``"multiscale"``
            (:func:`multiscale_features`) or ``"unet"`` (:func:`unet_features`): measured, they did
            not help.
        strength: > 0 regularises the matches along the lightness edges (:func:`propagate_confident`);
            None = the method's default (0: measured, it did not help).
    """

    reference: Reference
    method: str = "refined"
    inference_size: int = DEFAULT_INFERENCE_SIZE
    seed: int = 0
    samples: int | None = None
    neighbours: int | None = None
    strength: float | None = None
    features: str = "welsh"
    takes_hints: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"unknown method {self.method!r}; choose from {', '.join(METHODS)}")
        if self.features not in FEATURES:
            raise ValueError(f"unknown features {self.features!r}; choose from {', '.join(FEATURES)}")

    def _settings(self) -> tuple[int, int, float]:  # samples, neighbours, strength
        welsh = self.method == "welsh"
        samples = self.samples or (WELSH_SAMPLES if welsh else REFINED_SAMPLES)
        neighbours = self.neighbours or (1 if welsh else REFINED_NEIGHBOURS)
        strength = self.strength if self.strength is not None else (0.0 if welsh else REFINED_STRENGTH)
        return samples, neighbours, strength

    def describe(self, L: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """The features of lightness ``L`` (h, w): (C, h, w)."""
        return FEATURES[self.features](L)

    def transfer_ab(self, L: torch.Tensor) -> torch.Tensor:  # noqa: N803
        """The reference's colours for a target of lightness ``L`` (h, w) in [0, 100]: ab (2, h, w).

        Luminance remapping, features, jittered samples, nearest match(es); with ``strength`` > 0,
        the matches regularised by :func:`propagate_confident`.
        """
        count, k, strength = self._settings()
        L = L.float()  # noqa: N806
        ref_L = remap_luminance(self.reference.L, L)  # noqa: N806
        height, width = ref_L.shape
        index = jittered_samples(height, width, count, self.seed)
        samples = self.describe(ref_L).flatten(1)[:, index]
        sample_ab = self.reference.ab.flatten(1)[:, index]
        ab, spread = match_ab(self.describe(L).flatten(1), samples, sample_ab, k)
        ab = ab.reshape(2, *L.shape)
        if strength <= 0.0:
            return ab
        return propagate_confident(L, ab, spread.reshape(L.shape), strength)

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        """The (h, w) at which a ``height`` x ``width`` photo is matched (long side ``inference_size``)."""
        return working_size(height, width, self.inference_size)

    def predict_ab(self, L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                   mask: torch.Tensor | None = None) -> torch.Tensor:
        """ab_n (N, 2, h, w) for L_n (N, 1, h, w) in [-1, 1], as a colorizer's ``predict_ab`` (no hints)."""
        L = denormalize_lightness(L_n.float())  # noqa: N806
        return torch.stack([normalize_ab(self.transfer_ab(L[i, 0])) for i in range(len(L))]).to(L_n)

    def colorize_image(self, rgb: np.ndarray, hints: Sequence[Hint] | None = None) -> np.ndarray:
        """(H, W, 3) uint8 (gray or colour: only its lightness is used) -> (H, W, 3) uint8 with the
        input's exact lightness and the reference's colours (:func:`render_full_resolution`)."""
        return render_full_resolution(rgb, self.working_size, self.predict_ab)


def propagate_confident(L: torch.Tensor, ab: torch.Tensor, spread: torch.Tensor,  # noqa: N803
                        strength: float = 1.0) -> torch.Tensor:
    """The matched colours regularised along the lightness edges, each kept as much as it is trusted.

    Levin et al. 2004's neighbourhood term (:func:`gancolor.propagation.levin_weights`) with the
    matches as a soft data term instead of hard hints: for every pixel r,

        c_r (U(r) - m(r)) + lambda (U(r) - sum_s w_rs U(s)) = 0,      c_r = 1 / (1 + (spread_r / s)^2)

    where m is the matched ab, ``spread`` its disagreement between the k matches (s: its median,
    at least 1 ab unit) and lambda = ``strength``: confident matches stay, doubtful ones take their
    neighbours' colour within the same region. One sparse solve (the same matrix for a and b).
    Inputs: ``L`` (h, w) in [0, 100]; ``ab`` (2, h, w); ``spread`` (h, w) >= 0. Returns ab (2, h, w).
    """
    import scipy.sparse
    import scipy.sparse.linalg

    from gancolor.propagation import levin_affinity  # (scipy)

    height, width = L.shape
    if height * width < 2:  # a single pixel has no neighbours to agree with
        return ab
    scale = spread.flatten().median().clamp(min=_MIN_SPREAD_SCALE)
    confidence = (1.0 / (1.0 + (spread / scale) ** 2)).double().flatten().numpy()
    affinity = levin_affinity(L.double().numpy())  # (n, n): row r holds w_rs
    n = height * width
    matrix = scipy.sparse.diags(confidence + strength) - strength * affinity
    rhs = (ab.double().reshape(2, n).numpy() * confidence).T
    out = scipy.sparse.linalg.splu(matrix.tocsc()).solve(np.ascontiguousarray(rhs))
    return torch.from_numpy(out.T.reshape(2, height, width)).to(ab)


def reference_colorizer(reference: str | Path, size: int | None = None, *, videos: Sequence[str] = (),
                        hints: Path | None = None, checkpoint: Path | None = None) -> ExemplarColorizer:
    """The colorizer of ``gancolor colorize --reference FILE``, the options checked first.

    ``size``: long side (px) of the working size (None: :data:`DEFAULT_INFERENCE_SIZE`). ``videos``,
    ``hints`` and ``checkpoint`` are the other options of the command: a reference colours photos
    without a colorizer file, hints or videos, and each combination is refused in one line.
    """
    if videos:
        raise UserError(f"{videos[0]}: --reference colours photos; a video takes no reference")
    if hints is not None:
        raise UserError(f"{hints}: --hints and --reference cannot be combined; give one of them")
    if checkpoint is not None:
        raise UserError(f"{checkpoint}: --reference colours without a colorizer file; drop --checkpoint")
    size = size or DEFAULT_INFERENCE_SIZE
    return ExemplarColorizer(load_reference(reference, size), inference_size=size)
