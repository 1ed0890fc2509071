"""Moved: ``gancolor.inference`` is now :mod:`gancolor.infer.colorizer` (the colorizer) and
:mod:`gancolor.infer.full_resolution` (sizes, padding, rendering at full resolution); the format
constants live in :mod:`gancolor.model_files`.

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.infer.colorizer import DEFAULT_AUTOMATIC, Colorizer, default_checkpoint, load_colorizer
from gancolor.infer.full_resolution import (
    DEFAULT_INFERENCE_SIZE,
    GeneratorModel,
    lightness,
    pad_for,
    render_full_resolution,
    run_padded,
    working_size,
)
from gancolor.model_files import COLORIZER_FORMAT, HINT_INPUTS, PLAIN_INPUTS, PRIOR_HINT_INPUTS

__all__ = [
    "DEFAULT_AUTOMATIC",
    "Colorizer",
    "default_checkpoint",
    "load_colorizer",
    "DEFAULT_INFERENCE_SIZE",
    "GeneratorModel",
    "lightness",
    "pad_for",
    "render_full_resolution",
    "run_padded",
    "working_size",
    "COLORIZER_FORMAT",
    "HINT_INPUTS",
    "PLAIN_INPUTS",
    "PRIOR_HINT_INPUTS",
]
