"""Moved: ``gancolor.evaluate`` is now :mod:`gancolor.evaluation.colorizer_eval`,
:mod:`gancolor.evaluation.scores` (scores, table) and :mod:`gancolor.evaluation.baseline_colorizers`
(``gray_baseline``).

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.evaluation.baseline_colorizers import gray_baseline
from gancolor.evaluation.colorizer_eval import (
    EVAL_HINT_SIZE,
    colorize_images,
    evaluate_colorizers,
    evaluate_with_hints,
    simulated_hints,
)
from gancolor.evaluation.scores import METRIC_COLUMNS, format_table, score_images

__all__ = [
    "gray_baseline",
    "EVAL_HINT_SIZE",
    "colorize_images",
    "evaluate_colorizers",
    "evaluate_with_hints",
    "simulated_hints",
    "METRIC_COLUMNS",
    "format_table",
    "score_images",
]
