"""User colour hints for a hint colorizer (Zhang et al. 2017, "Real-Time User-Guided Image Colorization
with Learned Deep Priors", Sec. 3.1): a click's colour, its hint maps, the JSON hint file.

The network takes, besides L_n, hint maps: the hints' ab (zero elsewhere) and a mask
(:mod:`gancolor.data.hint_maps`, where training simulates them from the ground truth).
At inference a user's click becomes such a map (:func:`hints_to_maps`). Only the
chrominance of the chosen colour is kept: a hint is an (a, b) pair, and the photo keeps its own
lightness everywhere. A bright yellow hint on a dark pixel therefore asks for "yellow's ab at this
pixel's L", which shows as a dark olive (Zhang et al. show the user the gamut at the pixel's L
for this reason).

Coordinates: x is the column and y the row, in pixels of the photo, (0, 0) the top-left pixel's
centre. :func:`hints_to_maps` maps them to the working size at which the network sees the photo.

The JSON hint files of ``gancolor colorize --hints hints.json`` (:func:`load_hints_json`)::

    [
      {"x": 120, "y": 80, "color": "#ff0000"},
      {"x": 30.5, "y": 200, "color": [40, 90, 200], "size": 12}
    ]

``color`` is ``"#rrggbb"``, ``"#rgb"`` or ``[r, g, b]`` with 0-255 values; the optional ``size`` is
the side of the hint's square in photo pixels (default: :data:`DEFAULT_HINT_SIZE` pixels of the
working image).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gancolor.color import normalize_ab, parse_color, rgb_to_lab
from gancolor.errors import UserError

__all__ = [
    "DEFAULT_HINT_SIZE",
    "MAX_HINTS",
    "Hint",
    "hints_to_maps",
    "load_hints_json",
]

#: Side (px of the working image) of a hint patch when the user gives no size.
DEFAULT_HINT_SIZE = 3
#: The most user hints one photo takes (a hint file, or hints given to :func:`hints_to_maps`).
MAX_HINTS = 10_000


@dataclass(frozen=True)
class Hint:
    """One user hint: "this point of the photo has this colour".

    Attributes:
        x, y: column and row of the hint in pixels of the photo ((0, 0) = the top-left pixel).
        ab: the colour's CIE a, b (unnormalised, about [-110, 110]); only the chrominance is used,
            the photo keeps its lightness. Build from RGB with :meth:`from_rgb`.
        size: side of the hint's square in photo pixels; None = :data:`DEFAULT_HINT_SIZE` px of the
            working image.
        origin: where the hint came from, for error messages (e.g. "hints.json, hint 3").
    """

    x: float
    y: float
    ab: tuple[float, float]
    size: float | None = None
    origin: str | None = field(default=None, compare=False)

    @classmethod
    def from_rgb(cls, x: float, y: float, rgb: Sequence[float] | str, size: float | None = None,
                 origin: str | None = None) -> Hint:
        """A hint of the sRGB colour ``rgb``: (r, g, b) 0-255 values or a "#rrggbb" / "#rgb" string
        (:func:`gancolor.color.parse_color`)."""
        r, g, b = parse_color(rgb)
        lab = rgb_to_lab(torch.tensor([r, g, b], dtype=torch.float64).view(3, 1, 1) / 255.0)
        return cls(x=float(x), y=float(y), ab=(float(lab[1, 0, 0]), float(lab[2, 0, 0])),
                   size=None if size is None else float(size), origin=origin)

    def describe(self) -> str:
        where = f"hint at (x={self.x:g}, y={self.y:g})"
        return f"{self.origin}: {where}" if self.origin else where


def hints_to_maps(hints: Sequence[Hint], height: int, width: int,
                  source_size: tuple[int, int] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Turn user hints into the network's hint maps at a working size.

    Inputs: ``hints`` in pixel coordinates of an image of ``source_size`` = (H, W) (default: the
    working size ``(height, width)`` itself). A hint's centre maps to the working pixel that
    contains it (x_w = floor((x + 0.5) * width / W)); its square, ``size`` scaled by the same factor
    (at least 1 px; :data:`DEFAULT_HINT_SIZE` working px when None), is centred there (rows
    row - size // 2 .. row - size // 2 + size - 1, the same for columns) and clipped
    to the image.
    Returns: ``hint_ab`` (1, 2, height, width) ab_n = ab / 110, zero outside hints, and ``mask``
    (1, 1, height, width) in {0, 1}; float32. Later hints cover earlier ones where they overlap.
    Raises :class:`~gancolor.errors.UserError` naming the hint's origin for a point outside the image.
    """
    from gancolor.data.hint_maps import paint_patches  # (the datasets: loaded only when there are hints)

    src_h, src_w = source_size if source_size is not None else (height, width)
    scale_y, scale_x = height / src_h, width / src_w
    k = len(hints)
    if k > MAX_HINTS:
        raise UserError(f"{k:,} hints: at most {MAX_HINTS:,} hints per photo")
    colors = torch.zeros(1, k, 2)
    tops, lefts, sizes = (torch.zeros(1, k, dtype=torch.long) for _ in range(3))
    for i, hint in enumerate(hints):
        if not (math.isfinite(hint.x) and math.isfinite(hint.y) and -0.5 <= hint.x < src_w - 0.5
                and -0.5 <= hint.y < src_h - 0.5):
            raise UserError(f"{hint.describe()} lies outside the {src_w}x{src_h} image "
                            f"(x must be in 0..{src_w - 1}, y in 0..{src_h - 1})")
        row = min(height - 1, int(math.floor((hint.y + 0.5) * scale_y)))
        col = min(width - 1, int(math.floor((hint.x + 0.5) * scale_x)))
        side = DEFAULT_HINT_SIZE if hint.size is None else _working_side(hint.size, min(scale_x, scale_y),
                                                                         2 * max(height, width))
        tops[0, i], lefts[0, i], sizes[0, i] = row - side // 2, col - side // 2, side
        colors[0, i] = normalize_ab(torch.tensor(hint.ab))
    return paint_patches(colors, tops, lefts, sizes, torch.ones(1, k, dtype=torch.bool), height, width)


def _working_side(size: float, scale: float, limit: int) -> int:
    """A hint's side ``size`` (photo px) in working pixels: at least 1, at most ``limit``."""
    return max(1, min(limit, round(min(size * scale, float(limit)))))


_FIELDS = {"x", "y", "color", "size"}
#: Longest hint file read (bytes); 10,000 hints take well under 1 MB.
_MAX_HINT_FILE_BYTES = 4 << 20


def load_hints_json(path: str | os.PathLike) -> list[Hint]:
    """Read a JSON hint file (format in the module docstring) into :class:`Hint` s.

    Raises :class:`~gancolor.errors.UserError` naming the file, on one line, for a missing or
    unreadable file, bad JSON, missing or unknown fields, bad numbers or colours. Whether the
    points lie inside the photo is checked when the hints are applied (:func:`hints_to_maps`).
    """
    path = Path(path)
    data = _read_json(path)
    if not isinstance(data, list):
        raise UserError(f"{path}: a hint file must hold a JSON list of hints like "
                        f"[{{\"x\": 120, \"y\": 80, \"color\": \"#ff0000\"}}]")
    if len(data) > MAX_HINTS:
        raise UserError(f"{path}: {len(data):,} hints; a hint file holds at most {MAX_HINTS:,}")
    hints = []
    for number, item in enumerate(data, start=1):
        where = f"{path}: hint {number}"
        if not isinstance(item, dict):
            raise UserError(f"{where} is not an object like "
                            f"{{\"x\": 120, \"y\": 80, \"color\": \"#ff0000\"}}")
        missing = [key for key in ("x", "y", "color") if key not in item]
        if missing:
            raise UserError(f"{where} has no {' or '.join(repr(m) for m in missing)}")
        unknown = sorted(set(item) - _FIELDS)
        if unknown:
            raise UserError(f"{where} has unknown field(s) {_shorten(', '.join(map(repr, unknown)))} "
                            f"(known: x, y, color, size)")
        x, y = _number(item["x"], f"{where}: x"), _number(item["y"], f"{where}: y")
        size = None if item.get("size") is None else _number(item["size"], f"{where}: size")
        if size is not None and size <= 0:
            raise UserError(f"{where}: size must be positive; got {size:g}")
        try:
            hints.append(Hint.from_rgb(x, y, item["color"], size=size, origin=f"{path}, hint {number}"))
        except ValueError as error:
            raise UserError(f"{where}: {_shorten(str(error))}") from None
    return hints


def _read_json(path: Path) -> object:
    """The JSON value in ``path``; one-line :class:`UserError` for a missing, huge, unreadable or bad file."""
    try:
        if path.stat().st_size > _MAX_HINT_FILE_BYTES:
            raise UserError(f"{path}: hint file larger than {_MAX_HINT_FILE_BYTES >> 20} MB")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such hint file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"{path}: cannot read the hint file ({type(error).__name__})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise UserError(f"{path}: not valid JSON ({error.msg} at {where})") from None
    except RecursionError:
        raise UserError(f"{path}: not a hint file (JSON nested too deeply)") from None
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        raise UserError(f"{path}: not valid JSON ({_shorten(str(error))})") from None


def _number(value: object, what: str) -> float:
    """``value`` as a finite float; one-line :class:`UserError` naming ``what`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UserError(f"{what} must be a number; got {_shorten(repr(value))}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise UserError(f"{what} must be a finite number; got {_shorten(repr(value))}")
    return number


def _shorten(text: str, limit: int = 60) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
