"""Moved: ``gancolor.stylize`` is now :mod:`gancolor.infer.stylizer`.

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.infer.stylizer import DIRECTIONS, Stylizer, default_stylizer, load_stylizer
from gancolor.model_files import STYLIZER_FORMAT

__all__ = [
    "DIRECTIONS",
    "Stylizer",
    "default_stylizer",
    "load_stylizer",
    "STYLIZER_FORMAT",
]
