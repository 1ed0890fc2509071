"""User colour hints for the hint-conditioned colorizer (Zhang et al. 2017, "Real-Time User-Guided
Image Colorization with Learned Deep Priors", Sec. 3.1).

The network sees, besides the lightness L_n, a sparse *hint map*: the ab colour a user asked for at
a few points (zero elsewhere) and a binary mask saying where hints are. Zhang et al. concatenate
both to L, so a 1-channel colorizer becomes a 4-channel one::

    input  = cat(L_n (N, 1, H, W), hint_ab_n (N, 2, H, W), mask (N, 1, H, W))    -> (N, 4, H, W)
    output = ab_n (N, 2, H, W)

Training needs no users: hints are *simulated* from the ground truth (:func:`sample_hints`). Each
image gets a random number of hints, geometric as in the paper, P(k) = p_none (1 - p_none)^k,
so a share ``p_none`` of the images has none and the model still learns to colorize on its own.
Each hint is a small square patch filled with the *mean* ground-truth ab over the patch (a user
gives one colour for a region, not a texture of colours).

At inference a user's click becomes the same kind of map (:func:`hints_to_maps`). Only the
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
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import torch

from gancolor.color import AB_SCALE, rgb_to_lab
from gancolor.errors import UserError

__all__ = [
    "DEFAULT_HINT_SIZE",
    "HINT_CHANNELS",
    "MAX_HINTS",
    "Hint",
    "generator_input",
    "hints_to_maps",
    "load_hints_json",
    "paint_patches",
    "parse_color",
    "sample_hints",
]

#: Input channels of a hint colorizer: L_n, hint a_n, hint b_n, mask.
HINT_CHANNELS = 4
#: Side (px of the working image) of a hint patch when the user gives no size.
DEFAULT_HINT_SIZE = 3
#: The most user hints one photo takes (a hint file, or hints given to :func:`hints_to_maps`).
MAX_HINTS = 10_000


# ---------------------------------------------------------------------------------------------
# Network input


def generator_input(L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                    mask: torch.Tensor | None = None) -> torch.Tensor:
    """The hint colorizer's input: cat(L_n, hint_ab, mask) along channels (Zhang et al. 2017, Sec. 3.1).

    Inputs: ``L_n`` (N, 1, H, W) in [-1, 1]; ``hint_ab`` (N, 2, H, W) ab_n in [-1, 1], zero outside
    hints; ``mask`` (N, 1, H, W) in {0, 1}. Both None = no hints (zeros).
    Returns: (N, 4, H, W) on L_n's device and dtype.
    """
    if (hint_ab is None) != (mask is None):
        raise ValueError("give both hint_ab and mask, or neither")
    n, _, height, width = L_n.shape
    if hint_ab is None:
        return torch.cat([L_n, L_n.new_zeros(n, 3, height, width)], dim=1)
    if hint_ab.shape != (n, 2, height, width) or mask.shape != (n, 1, height, width):
        raise ValueError(f"hint maps must be (N, 2, H, W) and (N, 1, H, W) like L_n {tuple(L_n.shape)}; "
                         f"got {tuple(hint_ab.shape)} and {tuple(mask.shape)}")
    return torch.cat([L_n, hint_ab.to(L_n), mask.to(L_n)], dim=1)


# ---------------------------------------------------------------------------------------------
# Painting square patches (shared by the sampler and the user hints)


def paint_patches(colors: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, sizes: torch.Tensor,
                  active: torch.Tensor, height: int, width: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Paint K square patches per image into hint maps; a later patch covers an earlier one.

    Inputs: ``colors`` (N, K, 2) ab_n; ``tops``, ``lefts``, ``sizes`` (N, K) long, the patch's
    top-left pixel and side (patches may stick out of the image: they are clipped); ``active``
    (N, K) bool, which of the K slots hold a hint.
    Returns: ``hint_ab`` (N, 2, H, W), ``colors`` inside patches and 0 elsewhere, and ``mask``
    (N, 1, H, W) in {0, 1}, on ``colors``' device and dtype.

    Each active patch is one slice assignment of its clipped square: the cost is O(number of
    patches x patch area) on top of allocating the maps, whatever the image size.
    """
    n, _ = active.shape
    hint_ab = colors.new_zeros(n, 2, height, width)
    mask = colors.new_zeros(n, 1, height, width)
    boxes = torch.stack([tops.cpu(), lefts.cpu(), sizes.cpu()], dim=-1)  # (N, K, 3)
    for i, j in active.cpu().nonzero().tolist():  # row-major: per image, slots in order
        top, left, size = boxes[i, j].tolist()
        r0, r1 = max(top, 0), min(top + size, height)
        c0, c1 = max(left, 0), min(left + size, width)
        if r0 < r1 and c0 < c1:
            hint_ab[i, :, r0:r1, c0:c1] = colors[i, j, :, None, None]
            mask[i, :, r0:r1, c0:c1] = 1
    return hint_ab, mask


# ---------------------------------------------------------------------------------------------
# Simulated hints for training and evaluation


def _patch_means(ab_n: torch.Tensor, tops: torch.Tensor, lefts: torch.Tensor, sizes: torch.Tensor
                 ) -> torch.Tensor:
    """Mean of ``ab_n`` (N, 2, H, W) over K square patches per image (inside the image): (N, K, 2).

    Uses an integral image, so every patch costs four look-ups whatever its size.
    """
    n, c, height, width = ab_n.shape
    integral = ab_n.double().cumsum(2).cumsum(3)
    integral = torch.nn.functional.pad(integral, (1, 0, 1, 0)).flatten(2)  # (N, 2, (H+1)(W+1))

    def at(r: torch.Tensor, q: torch.Tensor) -> torch.Tensor:  # (N, K) corners -> (N, K, 2)
        index = (r * (width + 1) + q).to(ab_n.device)
        return torch.gather(integral, 2, index[:, None, :].expand(n, c, -1)).transpose(1, 2)

    bottoms, rights = tops + sizes, lefts + sizes
    sums = at(bottoms, rights) - at(tops, rights) - at(bottoms, lefts) + at(tops, lefts)
    return (sums / (sizes.to(ab_n.device) ** 2)[..., None]).to(ab_n.dtype)


def sample_hints(ab_n: torch.Tensor, generator: torch.Generator, max_hints: int = 32,
                 min_size: int = 1, max_size: int = 5, p_none: float = 0.125,
                 num_hints: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Simulate user hints from ground-truth colours (Zhang et al. 2017, Sec. 3.1).

    Per image, the number of hints k is geometric, P(k) = p_none (1 - p_none)^k (the paper's
    p = 1/8), cut at ``max_hints``: a share ``p_none`` of the images gets none, so the model also
    learns automatic colorization, and the mean is (1 - p_none) / p_none = 7 hints. Each hint is a
    square of side uniform in [min_size, max_size] px (the paper: 1-9 px at 256 px), placed
    uniformly inside the image (the paper draws centre-weighted Gaussian positions; users click
    anywhere) and filled with the mean ground-truth ab over the square.

    Inputs: ``ab_n`` (N, 2, H, W) in [-1, 1], the ground truth; ``generator`` a CPU
    ``torch.Generator``: the same generator state gives the same hints. ``num_hints``: exactly this
    many hints per image instead of the geometric draw (evaluation).
    Returns: ``hint_ab`` (N, 2, H, W), the patch means inside hint patches and 0 elsewhere, and
    ``mask`` (N, 1, H, W) in {0, 1}, 1 inside hint patches; on ab_n's device.
    """
    n, _, height, width = ab_n.shape
    if not 1 <= min_size <= max_size <= min(height, width):
        raise ValueError(f"need 1 <= min_size <= max_size <= image side; got {min_size}, {max_size} "
                         f"for {height}x{width}")
    if not 0.0 < p_none <= 1.0:
        raise ValueError(f"p_none must be in (0, 1]; got {p_none}")
    k = max_hints if num_hints is None else num_hints
    if k < 0:
        raise ValueError(f"the number of hints must be non-negative; got {k}")
    # Every random number is drawn in a fixed shape, whatever the counts: the draws of one
    # call never depend on the values of another, which keeps the stream easy to reason about.
    keep = torch.rand(n, k, generator=generator)
    sizes = torch.randint(min_size, max_size + 1, (n, k), generator=generator)
    tops = (torch.rand(n, k, generator=generator) * (height - sizes + 1)).long()
    lefts = (torch.rand(n, k, generator=generator) * (width - sizes + 1)).long()
    if num_hints is None:
        # k = the number of "continue" draws (probability 1 - p_none) before the first "stop".
        counts = (keep < 1.0 - p_none).long().cumprod(dim=1).sum(dim=1)  # (N,) in [0, max_hints]
    else:
        counts = torch.full((n,), k, dtype=torch.long)
    active = torch.arange(k)[None, :] < counts[:, None]  # (N, K)
    colors = _patch_means(ab_n, tops, lefts, sizes)
    return paint_patches(colors, tops, lefts, sizes, active, height, width)


# ---------------------------------------------------------------------------------------------
# User hints


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
        """A hint of the sRGB colour ``rgb``: (r, g, b) 0-255 values or a "#rrggbb" / "#rgb" string."""
        r, g, b = parse_color(rgb)
        lab = rgb_to_lab(torch.tensor([r, g, b], dtype=torch.float64).view(3, 1, 1) / 255.0)
        return cls(x=float(x), y=float(y), ab=(float(lab[1, 0, 0]), float(lab[2, 0, 0])),
                   size=None if size is None else float(size), origin=origin)

    def describe(self) -> str:
        where = f"hint at (x={self.x:g}, y={self.y:g})"
        return f"{self.origin}: {where}" if self.origin else where


_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")


def parse_color(color: Sequence[float] | str) -> tuple[int, int, int]:
    """An sRGB colour as (r, g, b) 0-255 ints, from "#rrggbb", "#rgb" or a sequence of 3 numbers.

    Raises ``ValueError`` with the reason for anything else.
    """
    if isinstance(color, str):
        match = _HEX.fullmatch(color.strip())
        if not match:
            raise ValueError(f"bad color {color!r} (use \"#rrggbb\" or [r, g, b] with 0-255 values)")
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)
    values = list(color) if isinstance(color, (list, tuple)) else None
    if (values is None or len(values) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            or not all(0 <= v <= 255 for v in values)):
        raise ValueError(f"bad color {color!r} (use \"#rrggbb\" or [r, g, b] with 0-255 values)")
    return tuple(int(round(v)) for v in values)  # type: ignore[return-value]


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
        colors[0, i] = torch.tensor(hint.ab) / AB_SCALE
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
