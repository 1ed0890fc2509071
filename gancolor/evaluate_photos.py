"""Moved: ``gancolor.evaluate_photos`` is now :mod:`gancolor.evaluation.photo_eval`.

This module only re-exports those names, so that code written against the old path keeps working.
"""

from gancolor.evaluation.photo_eval import (
    PHOTO_HINT_SIZE,
    GrayPhoto,
    PhotoColorizer,
    evaluate_photos,
    format_photo_table,
    photo_hints,
)

__all__ = [
    "PHOTO_HINT_SIZE",
    "GrayPhoto",
    "PhotoColorizer",
    "evaluate_photos",
    "format_photo_table",
    "photo_hints",
]
