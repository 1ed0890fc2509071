"""Moved: ``gancolor.evaluate_style`` is now :mod:`gancolor.evaluation.stylizer_eval`.

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.evaluation.stylizer_eval import evaluate_stylizer

__all__ = [
    "evaluate_stylizer",
]
