"""Moved: ``gancolor.multitask`` is now :mod:`gancolor.infer.multitask_model` (the model) and
:mod:`gancolor.evaluation.multitask_eval` (its evaluation).

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.evaluation.multitask_eval import evaluate_multitask, format_multitask_results
from gancolor.infer.multitask_model import MultiTaskModel, default_multitask, load_multitask
from gancolor.model_files import MULTITASK_FORMAT

__all__ = [
    "evaluate_multitask",
    "format_multitask_results",
    "MultiTaskModel",
    "default_multitask",
    "load_multitask",
    "MULTITASK_FORMAT",
]
