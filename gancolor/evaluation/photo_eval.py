"""Real-photo evaluation: whole held-out photographs, turned gray, coloured, scored against the original.

The embedded test split is 64-px cartoons and crops; this is the evaluation that says what a user
gets on a real photo (``gancolor evaluate --data photos --hints 0 5 20 50``):

- the photos: :mod:`gancolor.data.real_photos` (held-out **test** split by default), each at its long
  side :data:`~gancolor.data.real_photos.EVAL_LONG_SIDE` = 512 px, scored at that full size;
- every method sees only the photo's lightness and renders at full resolution exactly as
  ``gancolor colorize`` does (:func:`gancolor.infer.full_resolution.render_full_resolution`);
- simulated user hints (:func:`photo_hints`): ``k`` squares of :data:`PHOTO_HINT_SIZE` px at
  uniformly random places, each given the square's mean true colour, seeded by (seed, photo): the
  same hints for every method, and the first 5 of the 20 hints are the 5 hints (nested);
- the baselines beside every model: the gray photo (ab = 0) and, with hints, Levin, Lischinski &
  Weiss 2004 (:class:`gancolor.evaluation.baseline_colorizers.Levin2004`); the image baselines of
  :mod:`~gancolor.evaluation.baseline_colorizers` (mean ab, colour transfer) through
  :class:`BaselinePhoto`. Automatic colorizers ignore hints: they are scored at k = 0 only.

Scores: PSNR in RGB over the whole photo (dB, mean over photos; per photo in ``per_photo``) and
the Hasler-Süsstrunk colourfulness of the result (the original photos' is the target).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

import numpy as np
import torch
from tqdm.auto import tqdm

from gancolor.color import rgb_to_lab, unit_to_uint8
from gancolor.evaluation.baseline_colorizers import gray_baseline
from gancolor.infer.user_hints import Hint
from gancolor.metrics import colorfulness, psnr

__all__ = ["PHOTO_HINT_SIZE", "PhotoColorizer", "BaselinePhoto", "GrayPhoto", "photo_hints",
           "evaluate_photos", "format_photo_table"]

#: Side (px of the 512-px photo) of each simulated hint square.
PHOTO_HINT_SIZE = 7
#: Hints drawn per photo; a count k uses the first k of them.
_MAX_HINTS = 1024


class PhotoColorizer(Protocol):
    """Anything that colours a whole photo: colorizers, :class:`GrayPhoto`, ``Levin2004``."""

    takes_hints: bool

    def colorize_image(self, rgb: np.ndarray, hints: Sequence[Hint] | None = None) -> np.ndarray: ...


class BaselinePhoto:
    """An image baseline of :mod:`~gancolor.evaluation.baseline_colorizers` (``MeanAB``,
    ``ColorTransfer``, ``gray_baseline``: uint8 (N, 3, H, W) -> RGB float in [0, 1]) as a photo
    colorizer, applied to the whole photo at its full size (these baselines need no working size)."""

    takes_hints = False

    def __init__(self, baseline: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.baseline = baseline

    def colorize_image(self, rgb: np.ndarray, hints: Sequence[Hint] | None = None) -> np.ndarray:
        """(H, W, 3) uint8 -> (H, W, 3) uint8 with the same CIE L (up to rounding and clipping)."""
        out = self.baseline(_as_batch(rgb))[0]  # (3, H, W) float in [0, 1]
        return unit_to_uint8(out).permute(1, 2, 0).numpy()


class GrayPhoto(BaselinePhoto):
    """The do-nothing baseline: the photo's lightness with ab = 0 (what a gray photo looks like)."""

    def __init__(self) -> None:
        super().__init__(gray_baseline)


def photo_hints(rgb: np.ndarray, count: int, seed: int = 0, key: str = "",
                size: int = PHOTO_HINT_SIZE) -> list[Hint]:
    """``count`` simulated hints for the colour photo ``rgb`` (H, W, 3) uint8, as a user would give them.

    Each is a ``size`` x ``size`` square at a uniformly random place inside the photo, with the mean
    true ab over the square. The places depend on (``seed``, ``key``) only, and the hints of a
    smaller count are the first ones of a larger count. Returns :class:`Hint` s in photo pixels.
    """
    height, width = rgb.shape[:2]
    if not 0 <= count <= _MAX_HINTS:
        raise ValueError(f"count must be in 0..{_MAX_HINTS}; got {count}")
    size = min(size, height, width)
    rng = np.random.default_rng([seed, zlib.crc32(key.encode())])
    tops = rng.integers(0, height - size + 1, _MAX_HINTS)[:count]
    lefts = rng.integers(0, width - size + 1, _MAX_HINTS)[:count]
    hints = []
    for top, left in zip(tops.tolist(), lefts.tolist(), strict=True):
        square = torch.tensor(np.asarray(rgb[top:top + size, left:left + size]))
        ab = rgb_to_lab(square.permute(2, 0, 1).double() / 255.0)[1:].mean(dim=(1, 2))
        hints.append(Hint(x=left + (size - 1) / 2, y=top + (size - 1) / 2, ab=(float(ab[0]), float(ab[1])),
                          size=float(size), origin=f"simulated hint of {key}"))
    return hints


def _as_batch(rgb: np.ndarray) -> torch.Tensor:
    return torch.tensor(np.asarray(rgb)).permute(2, 0, 1)[None]


def evaluate_photos(methods: Mapping[str, PhotoColorizer], photos: Mapping[str, np.ndarray],
                    hint_counts: Sequence[int] = (0,), seed: int = 0, progress: bool = False
                    ) -> dict[str, dict[int, dict]]:
    """Score each method on each photo with each number of simulated hints.

    Inputs: ``methods`` by name; ``photos`` by name, (H, W, 3) uint8 colour originals.
    Returns: ``{method: {k: {"psnr": mean dB, "colorfulness": mean, "per_photo": {photo: psnr}}}}``;
    methods without hint inputs get k = 0 only. The originals' colourfulness is under
    ``"ground truth"`` (its PSNR is inf).
    """
    jobs = [(name, k) for name, method in methods.items()
            for k in (sorted(set(hint_counts)) if method.takes_hints else [0])]
    results: dict[str, dict[int, dict]] = {name: {} for name in methods}
    bar = tqdm(total=len(jobs) * len(photos), desc="real photos", disable=not progress, leave=False)
    for name, k in jobs:
        scores, colours = {}, []
        for photo_name, rgb in photos.items():
            hints = photo_hints(rgb, k, seed, photo_name) if k else None
            out = methods[name].colorize_image(rgb, hints)
            scores[photo_name] = float(psnr(_as_batch(out), _as_batch(rgb))[0])
            colours.append(float(colorfulness(_as_batch(out))[0]))
            bar.update()
        results[name][k] = {"psnr": float(np.mean(list(scores.values()))),
                            "colorfulness": float(np.mean(colours)), "per_photo": scores}
    bar.close()
    truth = [float(colorfulness(_as_batch(rgb))[0]) for rgb in photos.values()]
    results["ground truth"] = {0: {"psnr": float("inf"), "colorfulness": float(np.mean(truth)),
                                   "per_photo": {name: float("inf") for name in photos}}}
    return results


def format_photo_table(results: Mapping[str, Mapping[int, Mapping]], hint_counts: Sequence[int]) -> str:
    """A plain-text table: one row per method, mean PSNR (dB) per hint count, colourfulness at k = 0
    ("-" where a method takes no hints)."""
    counts = sorted(set(hint_counts))
    header = ["method"] + [f"k={k} PSNR" for k in counts] + ["colorful (k=0)"]
    rows = []
    for name, by_k in results.items():
        cells = [name]
        for k in counts:
            value = by_k.get(k, {}).get("psnr")
            cells.append("-" if value is None else "inf" if value == float("inf") else f"{value:.2f}")
        cells.append(f"{by_k[0]['colorfulness']:.1f}" if 0 in by_k else "-")
        rows.append(cells)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                       for i, cell in enumerate(row))
             for row in [header, *rows]]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)
