"""Moved: ``gancolor.baselines`` is now :mod:`gancolor.evaluation.baseline_colorizers`.

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.evaluation.baseline_colorizers import ColorTransfer, Levin2004, MeanAB, lightness_histograms

__all__ = [
    "ColorTransfer",
    "Levin2004",
    "MeanAB",
    "lightness_histograms",
]
