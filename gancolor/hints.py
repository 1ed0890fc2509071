"""Moved: ``gancolor.hints`` is now :mod:`gancolor.data.hint_maps` (hint maps, simulated hints for
training) and :mod:`gancolor.infer.user_hints` (user hints, the JSON hint file); the colour parser
is :func:`gancolor.color.parse_color`.

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.color import parse_color
from gancolor.data.hint_maps import HINT_CHANNELS, generator_input, paint_patches, sample_hints
from gancolor.infer.user_hints import DEFAULT_HINT_SIZE, MAX_HINTS, Hint, hints_to_maps, load_hints_json

__all__ = [
    "parse_color",
    "HINT_CHANNELS",
    "generator_input",
    "paint_patches",
    "sample_hints",
    "DEFAULT_HINT_SIZE",
    "MAX_HINTS",
    "Hint",
    "hints_to_maps",
    "load_hints_json",
]
