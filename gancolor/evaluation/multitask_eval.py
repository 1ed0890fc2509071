"""Held-out evaluation of a multi-task model: both heads against pixel-aligned ground truth.

The embedded scenes exist in summer and winter with the same layout, so the colour head is scored
against the summer photo and the style head against its winter twin, next to the baselines that
need no model and, optionally, the single-task models (:func:`evaluate_multitask`).
"""

from __future__ import annotations

from collections.abc import Mapping

import torch

from gancolor.color import uint8_to_unit, unit_to_uint8
from gancolor.data.embedded import load_embedded
from gancolor.evaluation.baseline_colorizers import gray_baseline
from gancolor.evaluation.colorizer_eval import colorize_images
from gancolor.evaluation.scores import format_table, score_images
from gancolor.infer.colorizer import Colorizer
from gancolor.infer.multitask_model import MultiTaskModel
from gancolor.infer.stylizer import Stylizer

__all__ = ["evaluate_multitask", "format_multitask_results"]


def evaluate_multitask(
    model: MultiTaskModel,
    split: str = "test",
    size: int = 64,
    *,
    colorizer: Colorizer | None = None,
    stylizer: Stylizer | None = None,
    max_images: int | None = None,
    summer: torch.Tensor | None = None,
    winter: torch.Tensor | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Score both heads on pixel-aligned ground truth: the embedded scenes of ``split`` (or given images).

    The colour head is scored against the summer photo, the style head against its winter twin,
    next to the baselines that need no model and, optionally, the single-task models:

    colour table: "multi-task", "colorizer" (if given), "gray" (ab = 0)
    style table:  "multi-task (gray in)", "colorizer -> stylizer" (both given: the two-model pipeline
                  from the same gray input), "stylizer (colour in)" (if given: it sees the colour
                  summer photo, an easier input), "identity (summer)" (the summer photo unchanged,
                  ≈ 9.5 dB), "gray input" (the gray photo unchanged)

    Inputs: ``stylizer`` with A = summer, B = winter;
    ``max_images`` the first that many scenes; ``summer``, ``winter`` (N, 3, H, W) uint8 aligned
    pairs instead of the embedded split (then ``split`` and ``size`` are ignored).
    Returns: ``{"colour": {method: scores}, "style": {method: scores}}`` with the scores of
    :func:`~gancolor.evaluation.scores.score_images` (PSNR, SSIM, colourfulness ...).
    """
    ambiguous_summer = ambiguous_winter = None
    if summer is None or winter is None:
        s = load_embedded(split, source="scenes", size=size, season="summer")  # type: ignore[arg-type]
        w = load_embedded(split, source="scenes", size=size, season="winter")  # type: ignore[arg-type]
        summer, winter = s.images, w.images
        ambiguous_summer, ambiguous_winter = s.ambiguous, w.ambiguous
    if summer.shape != winter.shape or summer.dtype != torch.uint8:
        raise ValueError(f"summer and winter must be aligned uint8 batches of one shape; got "
                         f"{tuple(summer.shape)} {summer.dtype} and {tuple(winter.shape)} {winter.dtype}")
    if max_images is not None:
        summer, winter = summer[:max_images], winter[:max_images]
        ambiguous_summer = ambiguous_summer[:max_images] if ambiguous_summer is not None else None
        ambiguous_winter = ambiguous_winter[:max_images] if ambiguous_winter is not None else None
    summer_t, winter_t = uint8_to_unit(summer), uint8_to_unit(winter)
    gray = gray_baseline(summer)
    coloured, stylised = model.predict_images(summer)

    colour = {"multi-task": score_images(coloured, summer_t, ambiguous_summer)}
    style = {"multi-task (gray in)": score_images(stylised, winter_t, ambiguous_winter)}
    colorized = None
    if colorizer is not None:
        colorized = colorize_images(colorizer, summer)
        colour["colorizer"] = score_images(colorized, summer_t, ambiguous_summer)
    colour["gray"] = score_images(gray, summer_t, ambiguous_summer)
    if stylizer is not None:
        if colorized is not None:
            piped = stylizer.stylize_tensor(unit_to_uint8(colorized), "AtoB")
            style["colorizer -> stylizer"] = score_images(uint8_to_unit(piped), winter_t, ambiguous_winter)
        style["stylizer (colour in)"] = score_images(uint8_to_unit(stylizer.stylize_tensor(summer, "AtoB")),
                                                     winter_t, ambiguous_winter)
    style["identity (summer)"] = score_images(summer_t, winter_t, ambiguous_winter)
    style["gray input"] = score_images(gray, winter_t, ambiguous_winter)
    return {"colour": colour, "style": style}


def format_multitask_results(results: Mapping[str, Mapping[str, Mapping[str, float]]],
                             digits: int = 2) -> str:
    """The two tables of :func:`evaluate_multitask`, one under the other, as plain text."""
    titles = {"colour": "colour head vs the summer photo", "style": "style head vs the winter photo"}
    return "\n\n".join(f"{titles.get(job, job)}\n{format_table(rows, digits)}"
                       for job, rows in results.items())
