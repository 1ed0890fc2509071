"""Rasterising: a linear-light canvas painted with anti-aliased shapes, and noise textures.

Shapes are painted back to front, each only inside its bounding box (a :class:`Window`).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from gancolor.data.scenes.objects import SceneClass

__all__ = ["Window", "Canvas", "Textures", "GAMMA", "unit", "lerp"]


@dataclass(slots=True)
class Window:
    """The pixels a shape can touch: row/column slices and their centres in layout units."""

    rows: slice
    cols: slice
    ys: np.ndarray  # (h, 1) pixel centres
    xs: np.ndarray  # (1, w)
    top: np.ndarray  # (h, 1) pixel edges in pixel units: row r spans [top, top + 1]
    left: np.ndarray  # (1, w)


class Canvas:
    """A linear-light RGB image (H, W, 3) float32 with a label map, painted with coverage masks.

    Blending in linear light mixes luminance linearly, so an anti-aliased edge between a vivid
    colour and its background has a gray value that does not depend on the vivid hue.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.rgb = np.empty((size, size, 3), dtype=np.float32)
        self.labels = np.zeros((size, size), dtype=np.uint8)
        self.edges = np.arange(size + 1, dtype=np.float32)
        self.centres = (self.edges[:-1] + 0.5) / size

    def window(self, x0: float, x1: float, y0: float, y1: float) -> Window | None:
        """The pixels whose centres may lie within one pixel of the box [x0, x1] x [y0, y1]."""
        n = self.size
        c0, c1 = max(math.floor(x0 * n) - 1, 0), min(math.ceil(x1 * n) + 1, n)
        r0, r1 = max(math.floor(y0 * n) - 1, 0), min(math.ceil(y1 * n) + 1, n)
        if c0 >= c1 or r0 >= r1:
            return None
        return Window(
            slice(r0, r1),
            slice(c0, c1),
            self.centres[r0:r1, None],
            self.centres[None, c0:c1],
            self.edges[r0:r1, None],
            self.edges[None, c0:c1],
        )

    def paint(self, win: Window, coverage: np.ndarray, color: np.ndarray, label: SceneClass) -> None:
        """Blend ``color`` ((3,) or (h, w, 3)) over the window with ``coverage`` (h, w) in [0, 1]."""
        region = self.rgb[win.rows, win.cols]
        region += coverage[..., None] * (color - region)
        self.labels[win.rows, win.cols][coverage >= 0.5] = label

    # Coverage of the pixel (a unit square) by shapes, from signed distances in pixels.

    def ellipse(self, win: Window, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
        # Distance to the edge ~ (normalised radius - 1) * the smaller radius: exact for circles,
        # a slightly wider edge along the long axis of flat ellipses.
        radius = np.sqrt(((win.xs - cx) / rx) ** 2 + ((win.ys - cy) / ry) ** 2)
        k = min(rx, ry) * self.size
        return unit((k + 0.5) - k * radius)

    def box(self, win: Window, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
        n = self.size
        # Overlap of the pixel's span [e, e + 1] with the box's, in pixels (never more than 1).
        cx = np.maximum(np.minimum(win.left + 1.0, x1 * n) - np.maximum(win.left, x0 * n), 0.0)
        cy = np.maximum(np.minimum(win.top + 1.0, y1 * n) - np.maximum(win.top, y0 * n), 0.0)
        return cy * cx  # exact area of the pixel inside the box

    def polygon(self, win: Window, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Convex polygon with vertices in clockwise order on screen (y down)."""
        dist = None
        for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
            ex, ey = x1 - x0, y1 - y0
            norm = math.hypot(ex, ey)
            d = ((win.xs - x0) * ey - (win.ys - y0) * ex) / norm  # > 0 outside this edge
            dist = d if dist is None else np.maximum(dist, d)
        return unit(0.5 - dist * self.size)


class Textures:
    """Deterministic noise fields (H, W) float32 with unit-ish spread, seeded by the layout."""

    def __init__(self, seed: int, size: int) -> None:
        rng = np.random.default_rng(seed)
        self.grain = rng.standard_normal((size, size), dtype=np.float32)
        self.blotches = _smooth_noise(rng, size, cells=5) + 0.6 * _smooth_noise(rng, size, cells=11)


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Bilinearly interpolated random values on a (cells+1)^2 lattice -> (size, size)."""
    lattice = rng.standard_normal((cells + 1, cells + 1)).astype(np.float32)
    up = _bilinear_matrix(size, cells)
    return up @ lattice @ up.T


@functools.lru_cache(maxsize=16)
def _bilinear_matrix(size: int, cells: int) -> np.ndarray:
    """(size, cells + 1) weights that linearly interpolate lattice values at the pixel centres."""
    t = (np.arange(size) + 0.5) / size * cells
    i = np.minimum(np.floor(t).astype(int), cells - 1)
    frac = (t - i).astype(np.float32)
    m = np.zeros((size, cells + 1), dtype=np.float32)
    m[np.arange(size), i] = 1.0 - frac
    m[np.arange(size), i + 1] = frac
    return m


# Brightness factors below are meant in sRGB terms; on linear light a factor f acts as about f ** 2.2.
GAMMA = 2.2


def unit(x: np.ndarray) -> np.ndarray:
    """Clamp a fresh array to [0, 1] in place (cheaper than np.clip on small arrays)."""
    return np.minimum(np.maximum(x, 0.0, out=x), 1.0, out=x)


def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    return a + (b - a) * t
