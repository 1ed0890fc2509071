"""Rendering: a layout painted at a size and in a season, as sRGB uint8 with its label map."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from gancolor.color import linear_to_srgb
from gancolor.data.scenes.canvas import Canvas, Textures
from gancolor.data.scenes.layout import sample_layout
from gancolor.data.scenes.objects import AMBIGUOUS_CLASSES, SceneClass, SceneLayout
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
from gancolor.data.scenes.palettes import PALETTES, SEASONS, Palette, Season, ambiguous_lch, vivid_linear

__all__ = ["Scene", "render_scene", "render_scenes", "random_scene"]

_IS_AMBIGUOUS = np.isin(np.arange(len(SceneClass)), AMBIGUOUS_CLASSES)  # label -> bool lookup


@dataclass(frozen=True)
class Scene:
    """A rendered scene.

    ``rgb`` (H, W, 3) uint8; ``labels`` (H, W) uint8 :class:`SceneClass` values;
    ``ambiguous`` (H, W) bool, True on balloons and car bodies (colour not inferable from gray).
    """

    rgb: np.ndarray
    labels: np.ndarray
    ambiguous: np.ndarray


def render_scene(layout: SceneLayout, size: int = 64, season: Season = "summer") -> Scene:
    """Paint ``layout`` as a ``size`` x ``size`` image in ``season`` ("summer" or "winter").

    Returns a :class:`Scene` whose ``rgb`` is (size, size, 3) uint8. The labels and ambiguous
    mask depend only on the layout and size, never on the season.
    """
    return render_scenes([layout], size=size, season=season)[0]


def render_scenes(layouts: Sequence[SceneLayout], size: int = 64, season: Season = "summer") -> list[Scene]:
    """:func:`render_scene` for many layouts, converting all their vivid colours in one batch."""
    if season not in PALETTES:
        raise ValueError(f"season must be one of {SEASONS}; got {season!r}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels; got {size}")
    if not layouts:
        return []
    lch = [ambiguous_lch(layout) for layout in layouts]
    vivid = vivid_linear(np.concatenate([np.zeros((0, 3)), *lch]))
    ends = np.cumsum([len(x) for x in lch])
    canvases = [
        _paint_layout(layout, size, PALETTES[season], colors.reshape(-1, 2, 3))
        for layout, colors in zip(layouts, np.split(vivid, ends[:-1]), strict=True)
    ]
    return [
        Scene(rgb=_encode_srgb(c.rgb), labels=c.labels, ambiguous=_IS_AMBIGUOUS[c.labels]) for c in canvases
    ]


def _paint_layout(layout: SceneLayout, size: int, pal: Palette, vivid: np.ndarray) -> Canvas:
    """Paint one layout; ``vivid`` (balloons + cars, 2, 3) holds its objects' linear colour pairs."""
    canvas = Canvas(size)
    tex = Textures(layout.texture_seed, size)

    paint_sky(canvas, layout, pal)
    if layout.sun is not None:
        paint_sun(canvas, layout.sun, layout.horizon, pal)
    for cloud in layout.clouds:
        paint_cloud(canvas, cloud, pal)
    balloon_colors, car_colors = vivid[: len(layout.balloons)], vivid[len(layout.balloons) :]
    for balloon, (body, highlight) in zip(layout.balloons, balloon_colors, strict=True):
        paint_balloon(canvas, balloon, body, highlight, pal)
    paint_hills(canvas, layout, pal)
    paint_ground(canvas, layout, pal)
    if layout.water is not None:
        paint_water(canvas, layout.water, layout.horizon, pal, tex)
    if layout.road is not None:
        paint_road(canvas, layout.road, pal)

    # Ground objects back to front: the nearer (lower) an object stands, the later it is drawn.
    standing: list[tuple[float, int, Callable[[], None]]] = []
    for tree in layout.trees:
        standing.append((tree.base, 0, functools.partial(paint_tree, canvas, tree, pal, tex)))
    for house in layout.houses:
        standing.append((house.base, 1, functools.partial(paint_house, canvas, house, pal)))
    for car, (body, sill) in zip(layout.cars, car_colors, strict=True):
        standing.append((car.base, 2, functools.partial(paint_car, canvas, car, body, sill, pal)))
    for _, _, paint in sorted(standing, key=lambda item: item[:2]):
        paint()

    apply_texture(canvas, pal, tex)
    return canvas


# Linear light quantised to 16 bits -> 8-bit sRGB: fine enough that no output value differs
# from exact rounding by more than one level, and one table lookup per pixel.
_LUT_LEVELS = 65535


@functools.lru_cache(maxsize=1)
def _srgb_lut() -> np.ndarray:
    linear = torch.linspace(0.0, 1.0, _LUT_LEVELS + 1, dtype=torch.float64)
    return (linear_to_srgb(linear) * 255.0).round().to(torch.uint8).numpy()


def _encode_srgb(linear: np.ndarray) -> np.ndarray:
    """Linear-light RGB (H, W, 3) float -> sRGB (H, W, 3) uint8 (values outside [0, 1] are clipped)."""
    index = np.clip(linear * _LUT_LEVELS + 0.5, 0, _LUT_LEVELS).astype(np.int32)
    return _srgb_lut()[index]


def random_scene(rng: np.random.Generator, size: int = 64, season: Season = "summer") -> Scene:
    """:func:`render_scene` of a fresh :func:`sample_layout`."""
    return render_scene(sample_layout(rng), size=size, season=season)
