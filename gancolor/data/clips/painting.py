"""Painting a clip: every frame is a window of a wide world canvas, with the moving objects moved.

The world is ``size`` px tall and ``size + |pan| * (frames - 1)`` px wide, so the camera can pan
across it; layout units stay fractions of the frame *height* (the layout of the scene generator
spans x in [0, 1], the extra width on the right is open country). Textures are fixed to the world,
so a pan moves them with the ground. The scene generator's painters paint the objects; this
module only adds the wide canvas, a map of which object each pixel shows, and the camera.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gancolor.data.clips.motion import ClipMotion
from gancolor.data.scenes import AMBIGUOUS_CLASSES, SceneClass, SceneLayout
from gancolor.data.scenes.canvas import Canvas, Textures, Window
from gancolor.data.scenes.painters import (
    apply_texture,
    paint_balloon,
    paint_car,
    paint_cloud,
    paint_ground,
    paint_hills,
    paint_house,
    paint_road,
    paint_sky,
    paint_sun,
    paint_tree,
    paint_water,
)
from gancolor.data.scenes.palettes import PALETTES, Palette, ambiguous_lch, vivid_linear
from gancolor.data.scenes.render import _encode_srgb

__all__ = ["RenderedClip", "render_clip"]

_IS_AMBIGUOUS = np.isin(np.arange(len(SceneClass)), AMBIGUOUS_CLASSES)


@dataclass(frozen=True)
class RenderedClip:
    """One clip: ``frames`` (T, H, W, 3) uint8 sRGB; ``ids`` (T, H, W) uint8, the object each pixel
    shows (see :mod:`gancolor.data.clips.motion`); ``ambiguous`` (T, H, W) bool (balloons, car bodies)."""

    frames: np.ndarray
    ids: np.ndarray
    ambiguous: np.ndarray


class _WorldCanvas(Canvas):
    """A :class:`Canvas` ``width`` px wide (x in units of the height) that also records object ids."""

    def __init__(self, size: int, width: int) -> None:
        super().__init__(size)
        self.width = width
        self.rgb = np.empty((size, width, 3), dtype=np.float32)
        self.labels = np.zeros((size, width), dtype=np.uint8)
        self.ids = np.zeros((size, width), dtype=np.uint8)
        self.col_edges = np.arange(width + 1, dtype=np.float32)
        self.col_centres = (self.col_edges[:-1] + 0.5) / size
        self.object_id = 0  # the id that paint() records

    def window(self, x0: float, x1: float, y0: float, y1: float) -> Window | None:
        """As :meth:`Canvas.window`, over the whole width; a request for x in [0, 1] (the painters'
        "across the image") means the whole world."""
        n = self.size
        if x0 <= 0.0 and x1 >= 1.0:
            x1 = self.width / n
        c0, c1 = max(math.floor(x0 * n) - 1, 0), min(math.ceil(x1 * n) + 1, self.width)
        r0, r1 = max(math.floor(y0 * n) - 1, 0), min(math.ceil(y1 * n) + 1, n)
        if c0 >= c1 or r0 >= r1:
            return None
        return Window(slice(r0, r1), slice(c0, c1), self.centres[r0:r1, None],
                      self.col_centres[None, c0:c1], self.edges[r0:r1, None], self.col_edges[None, c0:c1])

    def paint(self, win: Window, coverage: np.ndarray, color: np.ndarray, label: SceneClass) -> None:
        super().paint(win, coverage, color, label)
        self.ids[win.rows, win.cols][coverage >= 0.5] = self.object_id


class _WorldTextures:
    """The scene's noise fields over the whole world (H, W_world), fixed to the ground."""

    def __init__(self, seed: int, size: int, width: int) -> None:
        square = Textures(seed, width)
        self.grain = square.grain[:size]
        self.blotches = square.blotches[:size]


def render_clip(layout: SceneLayout, motion: ClipMotion, frames: int, size: int, season: str) -> RenderedClip:
    """Paint ``frames`` frames of ``layout`` moving by ``motion``, ``size`` x ``size`` px, in ``season``.

    Frame t shows the world from x = offset(t) px, offset(t) = pan * t (pan > 0) or
    |pan| * (frames - 1 - t) (pan < 0); balloon and car k stand at their layout position plus
    ``velocity[k] * t`` world px.
    """
    pal = PALETTES[season]
    span = abs(motion.pan) * (frames - 1)
    width = size + span
    tex = _WorldTextures(layout.texture_seed, size, width)
    vivid = vivid_linear(ambiguous_lch(layout)).reshape(-1, 2, 3)
    out_rgb = np.empty((frames, size, size, 3), dtype=np.uint8)
    out_ids = np.empty((frames, size, size), dtype=np.uint8)
    out_amb = np.empty((frames, size, size), dtype=bool)
    for t in range(frames):
        canvas = _paint_frame(_moved(layout, motion, t, size), size, width, pal, vivid, tex)
        offset = motion.pan * t if motion.pan >= 0 else span + motion.pan * t
        window = slice(offset, offset + size)
        out_rgb[t] = _encode_srgb(canvas.rgb[:, window])
        out_ids[t] = canvas.ids[:, window]
        out_amb[t] = _IS_AMBIGUOUS[canvas.labels[:, window]]
    return RenderedClip(out_rgb, out_ids, out_amb)


def _moved(layout: SceneLayout, motion: ClipMotion, t: int, size: int) -> SceneLayout:
    """The layout at frame ``t``: balloons and cars displaced by t times their velocity."""
    nb = len(layout.balloons)
    balloons = tuple(
        dataclasses.replace(b, x=b.x + t * dx / size, y=b.y + t * dy / size)
        for b, (dx, dy) in zip(layout.balloons, motion.velocity[1 : 1 + nb].tolist(), strict=True)
    )
    cars = tuple(
        dataclasses.replace(c, x=c.x + t * dx / size)
        for c, (dx, _) in zip(layout.cars, motion.velocity[1 + nb :].tolist(), strict=True)
    )
    return dataclasses.replace(layout, balloons=balloons, cars=cars)


def _paint_frame(layout: SceneLayout, size: int, width: int, pal: Palette, vivid: np.ndarray,
                 tex: _WorldTextures) -> _WorldCanvas:
    """Paint one world frame back to front, in the order of the scene generator's renderer."""
    canvas = _WorldCanvas(size, width)
    paint_sky(canvas, layout, pal)
    if layout.sun is not None:
        paint_sun(canvas, layout.sun, layout.horizon, pal)
    for cloud in layout.clouds:
        paint_cloud(canvas, cloud, pal)
    nb = len(layout.balloons)
    for k, (balloon, (body, highlight)) in enumerate(zip(layout.balloons, vivid[:nb], strict=True), 1):
        canvas.object_id = k
        paint_balloon(canvas, balloon, body, highlight, pal)
    canvas.object_id = 0
    paint_hills(canvas, layout, pal)
    paint_ground(canvas, layout, pal)
    if layout.water is not None:
        paint_water(canvas, layout.water, layout.horizon, pal, tex)  # type: ignore[arg-type]
    if layout.road is not None:
        paint_road(canvas, layout.road, pal)
    standing: list[tuple[float, int, int, Callable[[], None]]] = []
    for tree in layout.trees:
        standing.append((tree.base, 0, 0, functools.partial(paint_tree, canvas, tree, pal, tex)))
    for house in layout.houses:
        standing.append((house.base, 1, 0, functools.partial(paint_house, canvas, house, pal)))
    for k, (car, (body, sill)) in enumerate(zip(layout.cars, vivid[nb:], strict=True), nb + 1):
        standing.append((car.base, 2, k, functools.partial(paint_car, canvas, car, body, sill, pal)))
    for _, _, object_id, paint in sorted(standing, key=lambda item: item[:2]):
        canvas.object_id = object_id
        paint()
    apply_texture(canvas, pal, tex)  # type: ignore[arg-type]
    return canvas
