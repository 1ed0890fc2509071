"""Held-out evaluation of a photo -> painting stylizer, on the embedded test split and on real photos.

The paintings are rendered (:func:`gancolor.data.paintings.paint`), so every photo has a true
painting: the renderer *defines* the style. Two evaluations, the rules of the seasons (notebook 06,
model card section 3): PSNR and SSIM against the true painting, next to the baselines of
:mod:`gancolor.evaluation.style_baselines` fitted on the *training* paintings (identity, the mean
painting, Reinhard colour transfer). Beside them, a style measure that needs no pairs: the mean
distance (ΔE*ab) of the colours to the painter's palette (:func:`~gancolor.data.paintings.palette_distance`),
with the true paintings' value to compare with (a photo is far from the palette, a painting close):

- :func:`evaluate_painting_split`: the embedded split (200 scenes + the photo crops), 64 px, and
  each part alone (``"scenes"``, ``"photo crops"``);
- :func:`evaluate_painting_photos`: whole real photos that no training saw
  (:mod:`gancolor.data.real_photos`), each shrunk to the stylizer's working size (long side
  ``inference_size``, 256 px for the shipped model), where G runs directly; the target is the
  renderer applied to that same image. This measures how well the model learned the renderer on a
  kind of image it never saw (real photos, 4x the training resolution), not how a painter would
  paint the photo.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import torch

from gancolor.color import signed_to_uint8, uint8_to_signed, uint8_to_unit, unit_to_uint8
from gancolor.data.embedded import load_embedded
from gancolor.data.paintings import (
    gaussian_blur,
    load_painting_domains,
    paint,
    paint_batched,
    palette_distance,
)
from gancolor.evaluation.scores import score_images
from gancolor.evaluation.style_baselines import style_baselines
from gancolor.infer.full_resolution import shrink
from gancolor.infer.stylizer import Stylizer

__all__ = ["BASELINE_PAINTINGS", "BLUR_SIGMAS", "GaussianBlur", "painting_baselines",
           "evaluate_painting_split", "evaluate_painting_photos", "PARTS"]

#: The parts of an embedded split the split evaluation also reports alone.
PARTS = ("all", "scenes", "photo crops")


#: How many training paintings the baselines are fitted on: evenly spaced over the train split, so
#: scenes and photo crops come in their proportion (the first N would be photo crops only). Rendering
#: all 3,815 takes 10-15 s on one CPU thread; fitted on all of them instead, the baselines' test-split
#: PSNR moves by 0.003 dB (mean painting) and 0.011 dB (Reinhard).
BASELINE_PAINTINGS = 1000


#: The blur widths (px) :meth:`GaussianBlur.fit` chooses among.
BLUR_SIGMAS = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0)


@dataclass(frozen=True)
class GaussianBlur:
    """The painting's smoothing without its palette: the photo under a Gaussian blur of ``sigma`` px.

    A painting drops the photo's fine detail, and PSNR rewards any smoothing that does the same: on
    the embedded test split this blur scores above the identity (model card 3b). The width is chosen
    on *training* pairs (:meth:`fit`), like the other baselines' statistics.
    """

    sigma: float

    @classmethod
    def fit(cls, photos: torch.Tensor, paintings: torch.Tensor, sigmas: tuple[float, ...] = BLUR_SIGMAS
            ) -> GaussianBlur:
        """The ``sigmas`` entry whose blur of ``photos`` has the highest mean PSNR against their ``paintings``
        (both (N, 3, H, W) uint8, pixel-aligned; the first of equals)."""
        scores = [score_images(cls(sigma)(photos), paintings)["psnr"] for sigma in sigmas]
        return cls(sigmas[int(np.argmax(scores))])

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        """(N, 3, H, W) uint8 -> the same, blurred (the border repeated)."""
        return unit_to_uint8(gaussian_blur(uint8_to_unit(images), self.sigma).clamp(0, 1))


@functools.lru_cache(maxsize=2)
def painting_baselines(size: int = 64, max_train: int | None = BASELINE_PAINTINGS) -> dict[str, object]:
    """The baselines fitted on ``max_train`` embedded *train* photos and their paintings, evenly spaced
    over the split (None = all 3,815): :func:`~gancolor.evaluation.style_baselines.style_baselines`
    (identity, "mean target", "Reinhard", fitted on the paintings) and "Gaussian blur"
    (:class:`GaussianBlur`, its width fitted on the pairs). Only the chosen photos are rendered."""
    photos = load_embedded("train", source="all", size=size).images  # type: ignore[arg-type]
    if max_train is not None and max_train < len(photos):
        photos = photos[torch.linspace(0, len(photos) - 1, max_train).round().long()]
    paintings = paint_batched(photos)
    return {**style_baselines(paintings), "Gaussian blur": GaussianBlur.fit(photos, paintings)}


def _score(predictions: dict[str, torch.Tensor], target: torch.Tensor) -> dict[str, dict[str, float]]:
    """{method: {"psnr", "ssim", "palette_de"}} of each (N, 3, H, W) uint8 prediction against ``target``,
    and the row "true painting" with only ``target``'s own palette distance (the value to match)."""
    rows = {}
    for name, pred in predictions.items():
        scores = score_images(pred, target)
        rows[name] = {"psnr": scores["psnr"], "ssim": scores["ssim"],
                      "palette_de": float(palette_distance(pred).mean())}
    rows["true painting"] = {"palette_de": float(palette_distance(target).mean())}  # nothing else to score
    return rows


@torch.no_grad()
def evaluate_painting_split(stylizer: Stylizer, split: str = "test", size: int = 64,
                            max_train: int | None = BASELINE_PAINTINGS, limit: int | None = None
                            ) -> dict[str, dict[str, dict[str, float]]]:
    """Photo -> painting on the embedded ``split``: ``{part: {method: {"psnr", "ssim"}}}``.

    ``part`` in :data:`PARTS`; methods "stylizer" and the baselines (fitted on the train paintings,
    ``max_train`` of them, see :func:`painting_baselines`). ``limit`` keeps the first ``limit`` scenes
    and photo crops of each part (None: all; for quick looks).
    """
    domains = load_painting_domains(split, size=size)
    n_crops = int((domains.a.shape[0]) - _n_scenes(split))  # the photo crops come first
    parts = {"photo crops": slice(0, n_crops), "scenes": slice(n_crops, len(domains.a))}
    if limit is not None:
        parts = {name: slice(part.start, min(part.stop, part.start + limit)) for name, part in parts.items()}
    keep = torch.cat([torch.arange(len(domains.a))[part] for part in parts.values()])
    source, target = domains.a[keep], domains.b[keep]
    predictions = {"stylizer": stylizer.stylize_tensor(source, "AtoB")}
    baselines = painting_baselines(size, max_train)
    predictions.update({name: baseline(source) for name, baseline in baselines.items()})
    results = {"all": _score(predictions, target)}
    start = 0
    for name, part in parts.items():
        count = part.stop - part.start
        chosen = slice(start, start + count)
        results[name] = _score({k: v[chosen] for k, v in predictions.items()}, target[chosen])
        start += count
    return {name: results[name] for name in PARTS}


def _n_scenes(split: str) -> int:
    from gancolor.data.embedded import DEFAULT_N_SCENES

    return DEFAULT_N_SCENES[split]


@torch.no_grad()
def evaluate_painting_photos(stylizer: Stylizer, split: str = "test",
                             max_train: int | None = BASELINE_PAINTINGS
                             ) -> dict[str, dict[str, dict[str, float]]]:
    """Photo -> painting on the real photos of ``split``: ``{photo name: {method: {"psnr", "ssim"}}}``
    and ``"mean"`` (over the photos) at the stylizer's working size, against ``paint`` of that image."""
    from gancolor.data.real_photos import real_photos

    baselines = painting_baselines(64, max_train)
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, rgb in real_photos(split, long_side=None).items():
        x = torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None]  # (1, 3, H, W) uint8, a writable copy
        x_small = signed_to_uint8(shrink(uint8_to_signed(x), stylizer.working_size(*rgb.shape[:2])))
        predictions = {"stylizer": stylizer.stylize_tensor(x_small, "AtoB")}
        predictions.update({method: baseline(x_small) for method, baseline in baselines.items()})
        results[name] = _score(predictions, paint(x_small))
    first = next(iter(results.values()))  # every photo has the same methods and metrics
    results["mean"] = {method: {metric: float(np.mean([rows[method][metric] for rows in results.values()]))
                                for metric in metrics} for method, metrics in first.items()}
    return results
