"""Check of exercise 2.5, an experiment: which of notebook 02's training runs collapsed?

The check judges the conclusion, not the code: the student's function names the runs whose
samples have collapsed, and the check measures every run's sample diversity itself
(:func:`gancolor.metrics.sample_diversity`),

    diversity = mean distance between two of the run's samples / the same for real images,

(1 for samples as varied as the data, 0 for identical ones) and calls a run collapsed below
``COLLAPSED_BELOW``. Runs near the line (within ``MARGIN``) may be named either way.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from gancolor.course.checks._framework import ExerciseFailed, describe, exercise
from gancolor.metrics.diversity import sample_diversity

__all__ = ["collapsed_runs"]

COLLAPSED_BELOW = 0.5
MARGIN = 0.1


@exercise("2.5", "which runs collapsed", hint="measure how different a run's samples are from one another, "
          "next to how different real images are; a collapsed run paints nearly the same image every time")
def collapsed_runs(student_fn: Callable[[dict, torch.Tensor], object], pictures: dict[str, torch.Tensor],
                   real: torch.Tensor) -> None:
    """``student_fn(pictures, real)`` -> the names of the runs of ``pictures`` (name -> samples
    (N, C, H, W) in [-1, 1]) whose samples collapsed, as a set (or list) of names."""
    got = student_fn(pictures, real)
    if isinstance(got, str) or not hasattr(got, "__iter__"):
        raise ExerciseFailed("return the names of the collapsed runs as a set (or list) of strings",
                             got=describe(got), hint="e.g. {'hinge'}, or set() if none collapsed")
    named = set(got)
    unknown = named - set(pictures)
    if unknown:
        raise ExerciseFailed(f"{sorted(unknown)} are not runs of this comparison",
                             expected=f"names among {sorted(pictures)}", got=str(sorted(named)))
    diversity = {name: sample_diversity(images, real) for name, images in pictures.items()}
    shown = ", ".join(f"{name} {value:.2f}" for name, value in diversity.items())
    for name, value in diversity.items():
        if value < COLLAPSED_BELOW - MARGIN and name not in named:
            raise ExerciseFailed(f"the {name} run collapsed, but you did not name it: its samples are only "
                                 f"{value:.2f} times as different from one another as real images are",
                                 expected=f"diversity below {COLLAPSED_BELOW} means collapsed ({shown})",
                                 got=str(sorted(named)))
        if value > COLLAPSED_BELOW + MARGIN and name in named:
            raise ExerciseFailed(f"the {name} run did not collapse: its samples are {value:.2f} times as "
                                 "different from one another as real images are (blurry or odd-coloured "
                                 "samples are not collapsed ones, as long as they differ)",
                                 expected=f"diversity below {COLLAPSED_BELOW} means collapsed ({shown})",
                                 got=str(sorted(named)))
