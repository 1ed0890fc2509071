"""Exemplar colorization on real photos: the gray half of a photo coloured from its other half.

A reference photo helps only if its colours land on the right pixels. The fairest reference there is
for a held-out photo is the photo itself, cut in two: each half, turned gray, is coloured with the
other half as the colour reference, and scored against its true colours (both directions, so every
photo counts twice). Photos: :mod:`gancolor.data.real_photos` (the held-out **test** split by
default, long side 512 px; settings of :mod:`gancolor.infer.exemplar` were chosen on the train and
val photos), scored at full size as ``gancolor colorize --reference`` renders them.

Methods (``gancolor evaluate --task exemplar``): the gray photo; a **global tint**, the reference's
mean ab applied everywhere (:class:`GlobalTint`, the baseline a reference method must beat); the
automatic colorizer, which ignores the reference; Welsh et al. 2002; the refined matching
(:class:`gancolor.infer.exemplar.ExemplarColorizer`, the default); and two variants of it that were
measured and not kept: multi-scale features, and regularisation along the lightness edges with Levin
et al. 2004's affinities.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from tqdm.auto import tqdm

from gancolor.color import normalize_ab
from gancolor.evaluation.photo_eval import GrayPhoto, PhotoColorizer
from gancolor.infer.exemplar import ExemplarColorizer, Reference
from gancolor.infer.full_resolution import DEFAULT_INFERENCE_SIZE, render_full_resolution, working_size
from gancolor.infer.user_hints import Hint
from gancolor.metrics import psnr

__all__ = ["REFINED", "MULTISCALE", "SMOOTHED", "GlobalTint", "half_pairs", "exemplar_methods",
           "evaluate_exemplar", "format_exemplar_table", "exemplar_report"]

#: The name of the refined method in the tables.
REFINED = "refined (16 nearest of 1024)"
MULTISCALE = "refined + multi-scale features"
SMOOTHED = "refined + Levin regularisation"
#: Builds a method from its colour reference photo ((H, W, 3) uint8).
MethodFactory = Callable[[np.ndarray], PhotoColorizer]


@dataclass(frozen=True)
class GlobalTint:
    """The simplest use of a reference: its mean ab given to every pixel of the target."""

    reference: Reference
    inference_size: int = DEFAULT_INFERENCE_SIZE
    takes_hints: bool = False

    def predict_ab(self, L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                   mask: torch.Tensor | None = None) -> torch.Tensor:
        """ab_n (N, 2, h, w): the reference's mean ab at every pixel of L_n (N, 1, h, w)."""
        mean = normalize_ab(self.reference.ab.mean(dim=(1, 2)))
        return mean.to(L_n)[None, :, None, None].expand(len(L_n), 2, *L_n.shape[-2:])

    def colorize_image(self, rgb: np.ndarray, hints: Sequence[Hint] | None = None) -> np.ndarray:
        """(H, W, 3) uint8 -> (H, W, 3) uint8: its lightness, the reference's mean colour."""
        def size_for(height: int, width: int) -> tuple[int, int]:
            return working_size(height, width, self.inference_size)

        return render_full_resolution(rgb, size_for, self.predict_ab)


def half_pairs(rgb: np.ndarray) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The two (target, reference) pairs of a photo (H, W, 3) uint8 cut along its long side:
    ``"left"``/``"top"`` coloured from the other half, and the other way round."""
    height, width = rgb.shape[:2]
    if width >= height:
        first, second, names = rgb[:, : width // 2], rgb[:, width // 2:], ("left", "right")
    else:
        first, second, names = rgb[: height // 2], rgb[height // 2:], ("top", "bottom")
    first, second = np.ascontiguousarray(first), np.ascontiguousarray(second)
    return {names[0]: (first, second), names[1]: (second, first)}


def exemplar_methods(automatic: PhotoColorizer | None = None) -> dict[str, MethodFactory]:
    """The methods of the evaluation by name, each built from its reference photo; ``automatic``
    (a colorizer, which ignores the reference) is added when given."""
    methods: dict[str, MethodFactory] = {
        "gray": lambda reference: GrayPhoto(),
        "global tint (mean ab)": lambda reference: GlobalTint(Reference.from_rgb(reference)),
        "Welsh 2002": lambda reference: ExemplarColorizer(Reference.from_rgb(reference), method="welsh"),
        REFINED: lambda reference: ExemplarColorizer(Reference.from_rgb(reference)),
        MULTISCALE: lambda reference: ExemplarColorizer(Reference.from_rgb(reference), features="multiscale"),
        SMOOTHED: lambda reference: ExemplarColorizer(Reference.from_rgb(reference), strength=1.0),
    }
    if automatic is not None:
        methods["automatic colorizer (no reference)"] = lambda reference: automatic
    return methods


def evaluate_exemplar(methods: Mapping[str, MethodFactory], photos: Mapping[str, np.ndarray],
                      progress: bool = False) -> dict[str, dict]:
    """PSNR (dB, RGB, whole half photo) of each method on every half of every photo.

    Inputs: ``methods`` by name (:func:`exemplar_methods`); ``photos`` by name, (H, W, 3) uint8.
    Returns ``{method: {"psnr": mean dB, "per_photo": {"photo/half": dB}}}``.
    """
    results: dict[str, dict] = {}
    bar = tqdm(total=len(methods) * len(photos) * 2, desc="exemplar", disable=not progress, leave=False)
    for name, build in methods.items():
        scores = {}
        for photo_name, rgb in photos.items():
            for half, (target, reference) in half_pairs(rgb).items():
                out = build(reference).colorize_image(target)
                scores[f"{photo_name}/{half}"] = float(psnr(_batch(out), _batch(target))[0])
                bar.update()
        results[name] = {"psnr": float(np.mean(list(scores.values()))), "per_photo": scores}
    bar.close()
    return results


def _batch(rgb: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.array(rgb)).permute(2, 0, 1)[None]  # (a copy: photos may be read-only)


def format_exemplar_table(results: Mapping[str, Mapping]) -> str:
    """One row per method: mean PSNR and its gain over the global tint (dB)."""
    tint = results.get("global tint (mean ab)", {}).get("psnr", math.nan)
    width = max(len(name) for name in results)
    lines = [f"{'method'.ljust(width)}  PSNR (dB)  vs tint", "-" * (width + 20)]
    lines += [f"{name.ljust(width)}  {row['psnr']:9.2f}  {row['psnr'] - tint:+7.2f}"
              for name, row in results.items()]
    return "\n".join(lines)


def exemplar_report(split: str = "test", as_json: bool = False, with_automatic: bool = True,
                    progress: bool = True) -> str:
    """``gancolor evaluate --task exemplar``: the table (or JSON) of :func:`evaluate_exemplar` on the
    real photos of ``split``, with the shipped automatic colorizer when ``with_automatic``."""
    from gancolor.data.real_photos import EVAL_LONG_SIDE, real_photos
    from gancolor.infer.colorizer import load_colorizer

    photos = real_photos(split)
    results = evaluate_exemplar(exemplar_methods(load_colorizer() if with_automatic else None), photos,
                                progress=progress and not as_json)
    if as_json:
        return json.dumps({"task": "exemplar", "data": "photos", "split": split, "photos": list(photos),
                           "results": results}, indent=2)
    return "\n".join([
        f"real photos, {split} split: {', '.join(photos)} (long side {EVAL_LONG_SIDE} px); each half, gray, "
        "coloured from the other half as reference; PSNR in dB at full size",
        format_exemplar_table(results),
    ])
