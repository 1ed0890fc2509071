"""Procedural outdoor scenes: colours that follow from shape, and colours that cannot be guessed.

Most things in a scene have the colour their shape, texture and position imply: a blue sky that
pales towards the horizon, a yellow sun, white clouds, green textured grass, rippled blue water,
trees with green crowns and brown trunks, houses with light walls and red or brown roofs.

Balloons and cars are different. Each gets a random vivid hue chosen in CIE Lab with a
lightness that does not depend on the hue, so the grayscale image (the Lab L channel) carries
no hint of it. An L1-trained colorizer can only predict the average of all hues there, a dull
brownish gray; a GAN is pushed to pick *some* vivid hue. :attr:`Scene.ambiguous` marks those
pixels so that evaluations can look at them separately.

A scene is made in two steps so that one layout can be drawn in several styles:
:func:`sample_layout` draws the objects (resolution-independent, coordinates in [0, 1] with
x to the right and y downwards), and :func:`render_scene` paints them at a size and in a
``season``. ``"winter"`` paints the same layout snowy (white ground, bare or snow-covered
trees, pale gray-blue sky, frozen water): pixel-aligned pairs for style transfer.
"""

from __future__ import annotations

import enum
import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from gancolor.color import lab_to_rgb, linear_to_srgb, srgb_to_linear

__all__ = [
    "SEASONS",
    "Season",
    "SceneClass",
    "AMBIGUOUS_CLASSES",
    "VividColor",
    "Sun",
    "Cloud",
    "Water",
    "Road",
    "Tree",
    "House",
    "Balloon",
    "Car",
    "SceneLayout",
    "Scene",
    "sample_layout",
    "render_scene",
    "render_scenes",
    "random_scene",
]

Season = Literal["summer", "winter"]
SEASONS: tuple[str, ...] = ("summer", "winter")


class SceneClass(enum.IntEnum):
    """What each pixel of :attr:`Scene.labels` shows (the front-most object covering it)."""

    SKY = 0
    SUN = 1
    CLOUD = 2
    HILL = 3
    GROUND = 4
    WATER = 5
    ROAD = 6
    TRUNK = 7
    CROWN = 8
    WALL = 9
    ROOF = 10
    DOOR_WINDOW = 11
    BALLOON = 12
    STRING = 13
    CAR = 14
    CAR_WINDOW = 15
    WHEEL = 16


#: Classes whose colour is a random hue at a hue-independent lightness.
AMBIGUOUS_CLASSES: tuple[SceneClass, ...] = (SceneClass.BALLOON, SceneClass.CAR)
_IS_AMBIGUOUS = np.isin(np.arange(len(SceneClass)), AMBIGUOUS_CLASSES)  # label -> bool lookup


# ---------------------------------------------------------------------------------------------
# Layout: what is where. All coordinates are fractions of the image side; y grows downwards.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VividColor:
    """A colour in CIE LCh: ``lightness`` L in [0, 100], ``chroma`` >= 0, ``hue`` in degrees.

    Rendering lowers the chroma where needed to stay inside the sRGB gamut; the lightness,
    and so the gray value, never depends on the hue.
    """

    lightness: float
    chroma: float
    hue: float


@dataclass(frozen=True)
class Sun:
    x: float
    y: float
    radius: float


@dataclass(frozen=True)
class Cloud:
    """A cloud as overlapping elliptical puffs: ``puffs`` rows are (x, y, rx, ry)."""

    puffs: tuple[tuple[float, float, float, float], ...]


@dataclass(frozen=True)
class Water:
    """A lake seen from the shore: the lower half of an ellipse centred on the horizon."""

    x: float
    half_width: float
    depth: float


@dataclass(frozen=True)
class Road:
    """A road across the whole image between ``top`` and ``bottom``."""

    top: float
    bottom: float


@dataclass(frozen=True)
class Tree:
    """A tree standing at (``x``, ``base``); ``conifer`` trees have a triangular crown."""

    x: float
    base: float
    height: float
    width: float
    conifer: bool
    tone: float  # in [0, 1]: dark to light green


@dataclass(frozen=True)
class House:
    """A house standing at (``x``, ``base``): walls, a gabled roof, a door and a window."""

    x: float
    base: float
    width: float
    wall_height: float
    roof_height: float
    wall_tone: float  # in [0, 1], picks a light wall colour
    roof_tone: float  # in [0, 1]: red to brown
    door_offset: float  # door centre relative to x, in units of width


@dataclass(frozen=True)
class Balloon:
    """A balloon centred at (``x``, ``y``) with radii ``rx``, ``ry`` and a string below."""

    x: float
    y: float
    rx: float
    ry: float
    string_length: float
    color: VividColor


@dataclass(frozen=True)
class Car:
    """A side-on car standing at (``x``, ``base``), ``length`` long, facing right if ``facing`` > 0."""

    x: float
    base: float
    length: float
    facing: int
    color: VividColor


@dataclass(frozen=True)
class SceneLayout:
    """Every object of a scene, independent of resolution and season (see :func:`sample_layout`)."""

    horizon: float  # y of the horizon
    hills: tuple[float, float, float]  # height, spatial frequency, phase of the far hills
    sky_tone: float  # in [0, 1]: deep to pale blue
    ground_tone: float  # in [0, 1]: lush to dry grass
    sun: Sun | None
    clouds: tuple[Cloud, ...]
    water: Water | None
    road: Road | None
    trees: tuple[Tree, ...]
    houses: tuple[House, ...]
    balloons: tuple[Balloon, ...]
    cars: tuple[Car, ...]
    texture_seed: int  # seeds the per-pixel texture


@dataclass(frozen=True)
class Scene:
    """A rendered scene.

    ``rgb`` (H, W, 3) uint8; ``labels`` (H, W) uint8 :class:`SceneClass` values;
    ``ambiguous`` (H, W) bool, True on balloons and car bodies (colour not inferable from gray).
    """

    rgb: np.ndarray
    labels: np.ndarray
    ambiguous: np.ndarray


# Lightness and chroma of the ambiguous objects' colours (hue is uniform).
_VIVID_LIGHTNESS = (55.0, 65.0)
_VIVID_CHROMA = (60.0, 80.0)


def sample_layout(rng: np.random.Generator) -> SceneLayout:
    """Draw a random scene layout; the same generator state always gives the same layout."""
    horizon = float(rng.uniform(0.42, 0.6))
    hills = (float(rng.uniform(0.0, 0.09)), float(rng.uniform(4.0, 12.0)), float(rng.uniform(0, 2 * np.pi)))
    sun = _sample_sun(rng, horizon) if rng.random() < 0.55 else None
    clouds = tuple(_sample_cloud(rng, horizon) for _ in range(_count(rng, _CLOUD_COUNTS)))
    water = _sample_water(rng, horizon) if rng.random() < 0.45 else None
    road = _sample_road(rng) if rng.random() < 0.7 else None
    ground_top = horizon + (water.depth if water else 0.0) + 0.03
    ground_bottom = road.top + 0.02 if road else 0.97
    trees, houses = _sample_trees_and_houses(rng, horizon, ground_top, max(ground_bottom, ground_top + 0.05))
    balloons = _sample_balloons(rng, horizon, _count(rng, _BALLOON_COUNTS))
    cars = _sample_cars(rng, road, _count(rng, _CAR_COUNTS)) if road else ()
    return SceneLayout(
        horizon=horizon,
        hills=hills,
        sky_tone=float(rng.random()),
        ground_tone=float(rng.random()),
        sun=sun,
        clouds=clouds,
        water=water,
        road=road,
        trees=trees,
        houses=houses,
        balloons=balloons,
        cars=cars,
        texture_seed=int(rng.integers(2**31)),
    )


# Probabilities of 0, 1, 2 ... objects of a kind in a scene.
_CLOUD_COUNTS = (0.15, 0.3, 0.3, 0.15, 0.1)
_BALLOON_COUNTS = (0.15, 0.4, 0.3, 0.15)
_CAR_COUNTS = (0.3, 0.5, 0.2)  # when there is a road
_HOUSE_COUNTS = (0.25, 0.35, 0.25, 0.15)


def _count(rng: np.random.Generator, probabilities: Sequence[float]) -> int:
    """Draw k with probability ``probabilities[k]`` (cheaper than ``rng.choice`` for one draw)."""
    u, total = rng.random(), 0.0
    for k, p in enumerate(probabilities[:-1]):
        total += p
        if u < total:
            return k
    return len(probabilities) - 1


def _depth_scale(base: float, horizon: float) -> float:
    """Perspective: objects standing lower in the image are nearer, so larger (0.45 .. 1.15)."""
    return 0.45 + 0.7 * (base - horizon) / (1.0 - horizon)


def _vivid(rng: np.random.Generator) -> VividColor:
    return VividColor(
        lightness=float(rng.uniform(*_VIVID_LIGHTNESS)),
        chroma=float(rng.uniform(*_VIVID_CHROMA)),
        hue=float(rng.uniform(0.0, 360.0)),
    )


def _sample_sun(rng: np.random.Generator, horizon: float) -> Sun:
    radius = float(rng.uniform(0.045, 0.08))
    return Sun(float(rng.uniform(0.08, 0.92)), float(rng.uniform(0.08, horizon - radius - 0.04)), radius)


def _sample_cloud(rng: np.random.Generator, horizon: float) -> Cloud:
    x, y = rng.uniform(-0.05, 1.05), rng.uniform(0.06, horizon - 0.12)
    scale = rng.uniform(0.6, 1.2)
    n = int(rng.integers(3, 7))
    dx = np.sort(rng.uniform(-0.12, 0.12, n)) * scale
    rx = rng.uniform(0.04, 0.075, n) * scale
    rx[1:-1] *= 1.3  # bigger puffs in the middle
    ry = rx * rng.uniform(0.55, 0.75, n)
    dy = -0.5 * ry + rng.uniform(-0.01, 0.01, n)  # flat-ish bottoms: puffs rise from one base line
    puffs = tuple(
        (float(x + a), float(y + b), float(c), float(d)) for a, b, c, d in zip(dx, dy, rx, ry, strict=True)
    )
    return Cloud(puffs)


def _sample_water(rng: np.random.Generator, horizon: float) -> Water:
    return Water(
        x=float(rng.uniform(0.1, 0.9)),
        half_width=float(rng.uniform(0.25, 0.8)),
        depth=float(rng.uniform(0.06, min(0.16, (1.0 - horizon) * 0.35))),
    )


def _sample_road(rng: np.random.Generator) -> Road:
    bottom = float(rng.uniform(0.86, 0.98))
    return Road(top=bottom - float(rng.uniform(0.06, 0.1)), bottom=bottom)


def _sample_trees_and_houses(
    rng: np.random.Generator, horizon: float, ground_top: float, ground_bottom: float
) -> tuple[tuple[Tree, ...], tuple[House, ...]]:
    """Trees and houses on the ground between ``ground_top`` and ``ground_bottom``, spread in x."""
    n_houses = _count(rng, _HOUSE_COUNTS)
    n_trees = int(rng.integers(1, 6))
    slots = 8
    # Stratified x positions so that objects spread out rather than pile up.
    picks = rng.permutation(slots)[: n_houses + n_trees]
    xs = (picks + rng.uniform(0.2, 0.8, picks.size)) / slots
    bases = rng.uniform(ground_top, ground_bottom, picks.size)
    houses = []
    for x, base in zip(xs[:n_houses], bases[:n_houses], strict=True):
        s = _depth_scale(base, horizon)
        width = rng.uniform(0.16, 0.26) * s
        houses.append(
            House(
                x=float(x),
                base=float(base),
                width=float(width),
                wall_height=float(width * rng.uniform(0.5, 0.8)),
                roof_height=float(width * rng.uniform(0.3, 0.5)),
                wall_tone=float(rng.random()),
                roof_tone=float(rng.random()),
                door_offset=0.25 * float(rng.integers(-1, 2)),
            )
        )
    trees = []
    for x, base in zip(xs[n_houses:], bases[n_houses:], strict=True):
        s = _depth_scale(base, horizon)
        height = rng.uniform(0.16, 0.3) * s
        trees.append(
            Tree(
                x=float(x),
                base=float(base),
                height=float(height),
                width=float(height * rng.uniform(0.5, 0.8)),
                conifer=bool(rng.random() < 0.4),
                tone=float(rng.random()),
            )
        )
    return tuple(trees), tuple(houses)


def _sample_balloons(rng: np.random.Generator, horizon: float, n: int) -> tuple[Balloon, ...]:
    """``n`` balloons in the sky, one in each of ``n`` equal strips of the width, so none overlap."""
    balloons = []
    for i in range(n):
        rx = float(rng.uniform(0.045, 0.08))
        ry = rx * float(rng.uniform(1.15, 1.3))
        lo, hi = max(i / n, 0.03) + rx, min((i + 1) / n, 0.97) - rx
        x = float(rng.uniform(lo, hi))
        y = float(rng.uniform(0.05 + ry, max(horizon - ry - 0.1, 0.06 + ry)))
        balloons.append(Balloon(x, y, rx, ry, float(rng.uniform(0.05, 0.1)), _vivid(rng)))
    return tuple(balloons)


def _sample_cars(rng: np.random.Generator, road: Road, n: int) -> tuple[Car, ...]:
    """``n`` cars on ``road``, one in each of ``n`` equal strips of the width, so none overlap."""
    cars = []
    for i in range(n):
        length = float(rng.uniform(0.19, 0.27))
        lo, hi = max(i / n, 0.05) + length / 2, min((i + 1) / n, 0.95) - length / 2
        cars.append(
            Car(
                x=float(rng.uniform(lo, max(lo, hi))),
                base=float(rng.uniform(road.top + 0.4 * (road.bottom - road.top), road.bottom)),
                length=length,
                facing=1 if rng.random() < 0.5 else -1,
                color=_vivid(rng),
            )
        )
    return tuple(cars)


# ---------------------------------------------------------------------------------------------
# Colours
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Palette:
    """The fixed colours of one season, as linear-light RGB in [0, 1] (written below as sRGB 0..255)."""

    sky_top: tuple[np.ndarray, np.ndarray]  # deep, pale
    sky_horizon: tuple[np.ndarray, np.ndarray]
    sun_high: np.ndarray
    sun_low: np.ndarray
    cloud_top: np.ndarray
    cloud_bottom: np.ndarray
    hill: np.ndarray
    ground_far: tuple[np.ndarray, np.ndarray]  # lush, dry
    ground_near: tuple[np.ndarray, np.ndarray]
    water_deep: np.ndarray
    water_light: np.ndarray
    road: np.ndarray
    trunk: np.ndarray
    crown: tuple[np.ndarray, np.ndarray]  # dark, light
    conifer: np.ndarray
    snow: np.ndarray | None  # snow lying on crowns and roofs (winter only)
    walls: tuple[np.ndarray, ...]
    roof: tuple[np.ndarray, np.ndarray]  # red, brown
    door: np.ndarray
    window: np.ndarray
    string: np.ndarray
    car_window: np.ndarray
    tyre: np.ndarray
    hubcap: np.ndarray
    # Texture strength per SceneClass: (per-pixel grain, blotches).
    texture: dict[SceneClass, tuple[float, float]]


def _c(*srgb: float) -> np.ndarray:
    """An sRGB colour in 0..255 -> linear-light RGB (3,) float32, what the canvas holds."""
    return srgb_to_linear(torch.tensor(srgb, dtype=torch.float64) / 255.0).numpy().astype(np.float32)


_WALLS_SRGB = ((232, 220, 190), (236, 234, 226), (220, 196, 140), (205, 200, 190))
_SHARED_TEXTURE = {
    SceneClass.SKY: (0.006, 0.015),
    SceneClass.CLOUD: (0.01, 0.03),
    SceneClass.WALL: (0.02, 0.03),
    SceneClass.ROOF: (0.05, 0.05),
    SceneClass.TRUNK: (0.06, 0.05),
    SceneClass.ROAD: (0.05, 0.04),
    SceneClass.DOOR_WINDOW: (0.02, 0.0),
}

_PALETTES: dict[str, _Palette] = {
    "summer": _Palette(
        sky_top=(_c(40, 100, 190), _c(95, 150, 215)),
        sky_horizon=(_c(165, 205, 238), _c(200, 225, 243)),
        sun_high=_c(255, 236, 140),
        sun_low=_c(255, 170, 60),
        cloud_top=_c(250, 251, 253),
        cloud_bottom=_c(200, 206, 220),
        hill=_c(90, 135, 105),
        ground_far=(_c(95, 150, 70), _c(155, 165, 85)),
        ground_near=(_c(55, 125, 35), _c(125, 145, 50)),
        water_deep=_c(30, 80, 150),
        water_light=_c(110, 160, 215),
        road=_c(95, 95, 100),
        trunk=_c(105, 72, 42),
        crown=(_c(30, 95, 35), _c(85, 150, 50)),
        conifer=_c(25, 80, 50),
        snow=None,
        walls=tuple(_c(*w) for w in _WALLS_SRGB),
        roof=(_c(175, 50, 38), _c(120, 68, 42)),
        door=_c(95, 60, 38),
        window=_c(140, 180, 215),
        string=_c(70, 70, 70),
        car_window=_c(55, 70, 90),
        tyre=_c(28, 28, 30),
        hubcap=_c(165, 165, 170),
        texture={
            **_SHARED_TEXTURE,
            SceneClass.HILL: (0.03, 0.05),
            SceneClass.GROUND: (0.09, 0.12),
            SceneClass.WATER: (0.02, 0.03),
            SceneClass.CROWN: (0.12, 0.12),
        },
    ),
    "winter": _Palette(
        sky_top=(_c(125, 145, 175), _c(165, 178, 198)),
        sky_horizon=(_c(205, 212, 224), _c(222, 226, 233)),
        sun_high=_c(250, 246, 225),
        sun_low=_c(250, 225, 190),
        cloud_top=_c(232, 235, 240),
        cloud_bottom=_c(180, 186, 198),
        hill=_c(200, 210, 224),
        ground_far=(_c(225, 232, 242), _c(230, 233, 238)),
        ground_near=(_c(242, 245, 250), _c(238, 240, 244)),
        water_deep=_c(160, 185, 205),
        water_light=_c(215, 230, 240),
        road=_c(120, 120, 126),
        trunk=_c(80, 62, 48),
        crown=(_c(95, 82, 75), _c(130, 118, 108)),  # bare branches, gray-brown
        conifer=_c(30, 62, 48),
        snow=_c(240, 243, 248),
        walls=tuple(_c(*(0.93 * np.array(w))) for w in _WALLS_SRGB),  # in the shade of clouds
        roof=(_c(150, 48, 40), _c(105, 62, 42)),
        door=_c(85, 55, 36),
        window=_c(235, 200, 120),  # lit windows on a gray day
        string=_c(70, 70, 70),
        car_window=_c(55, 70, 90),
        tyre=_c(28, 28, 30),
        hubcap=_c(165, 165, 170),
        texture={
            **_SHARED_TEXTURE,
            SceneClass.HILL: (0.01, 0.02),
            SceneClass.GROUND: (0.015, 0.03),
            SceneClass.WATER: (0.015, 0.03),
            SceneClass.CROWN: (0.08, 0.08),
        },
    ),
}


# Candidate chroma scales tried, largest first, when fitting a colour into the sRGB gamut.
_CHROMA_STEPS = np.linspace(1.0, 0.0, 21)


def _vivid_linear(lch: np.ndarray) -> np.ndarray:
    """LCh colours (K, 3) -> linear-light RGB (K, 3) float32 in [0, 1], at the largest in-gamut chroma.

    Each colour's chroma is lowered in 5% steps until it fits the sRGB gamut without clipping,
    so its lightness survives the trip to sRGB unchanged (chroma 0, a gray, always fits).
    One batched :func:`gancolor.color.lab_to_rgb` call tries every candidate at once.
    """
    if len(lch) == 0:
        return np.zeros((0, 3), dtype=np.float32)
    lightness = np.clip(lch[:, 0], 0.0, 100.0)[:, None]  # (K, 1)
    chroma = lch[:, 1:2] * _CHROMA_STEPS  # (K, S)
    rad = np.deg2rad(lch[:, 2:3])
    lab = np.stack(np.broadcast_arrays(lightness, chroma * np.cos(rad), chroma * np.sin(rad)))  # (3, K, S)
    rgb = lab_to_rgb(torch.from_numpy(lab), clip=False)
    inside = ((rgb >= 0.0) & (rgb <= 1.0)).all(dim=0)  # (K, S)
    first = inside.to(torch.uint8).argmax(dim=1)  # the largest chroma that fits
    picked = rgb[:, torch.arange(len(lch)), first].T.clamp(0.0, 1.0)  # (K, 3)
    return srgb_to_linear(picked).numpy().astype(np.float32)


# Shading of the ambiguous objects, as lightness offsets and chroma factors (hue-independent).
_BALLOON_HIGHLIGHT = (16.0, 0.55)
_CAR_SILL = (-12.0, 0.9)


def _ambiguous_lch(layout: SceneLayout) -> np.ndarray:
    """LCh (2 * (balloons + cars), 3): each balloon's body and highlight, then each car's body and sill."""
    rows = []
    for b in layout.balloons:
        c = b.color
        rows += [(c.lightness, c.chroma, c.hue)]
        rows += [(c.lightness + _BALLOON_HIGHLIGHT[0], c.chroma * _BALLOON_HIGHLIGHT[1], c.hue)]
    for car in layout.cars:
        c = car.color
        rows += [
            (c.lightness, c.chroma, c.hue),
            (c.lightness + _CAR_SILL[0], c.chroma * _CAR_SILL[1], c.hue),
        ]
    return np.asarray(rows, dtype=np.float64).reshape(-1, 3)


# ---------------------------------------------------------------------------------------------
# Rasterising: anti-aliased shapes painted back to front, each only inside its bounding box.
# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Window:
    """The pixels a shape can touch: row/column slices and their centres in layout units."""

    rows: slice
    cols: slice
    ys: np.ndarray  # (h, 1) pixel centres
    xs: np.ndarray  # (1, w)
    top: np.ndarray  # (h, 1) pixel edges in pixel units: row r spans [top, top + 1]
    left: np.ndarray  # (1, w)


class _Canvas:
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

    def window(self, x0: float, x1: float, y0: float, y1: float) -> _Window | None:
        """The pixels whose centres may lie within one pixel of the box [x0, x1] x [y0, y1]."""
        n = self.size
        c0, c1 = max(math.floor(x0 * n) - 1, 0), min(math.ceil(x1 * n) + 1, n)
        r0, r1 = max(math.floor(y0 * n) - 1, 0), min(math.ceil(y1 * n) + 1, n)
        if c0 >= c1 or r0 >= r1:
            return None
        return _Window(
            slice(r0, r1),
            slice(c0, c1),
            self.centres[r0:r1, None],
            self.centres[None, c0:c1],
            self.edges[r0:r1, None],
            self.edges[None, c0:c1],
        )

    def paint(self, win: _Window, coverage: np.ndarray, color: np.ndarray, label: SceneClass) -> None:
        """Blend ``color`` ((3,) or (h, w, 3)) over the window with ``coverage`` (h, w) in [0, 1]."""
        region = self.rgb[win.rows, win.cols]
        region += coverage[..., None] * (color - region)
        self.labels[win.rows, win.cols][coverage >= 0.5] = label

    # Coverage of the pixel (a unit square) by shapes, from signed distances in pixels.

    def ellipse(self, win: _Window, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
        # Distance to the edge ~ (normalised radius - 1) * the smaller radius: exact for circles,
        # a slightly wider edge along the long axis of flat ellipses.
        radius = np.sqrt(((win.xs - cx) / rx) ** 2 + ((win.ys - cy) / ry) ** 2)
        k = min(rx, ry) * self.size
        return _unit((k + 0.5) - k * radius)

    def box(self, win: _Window, x0: float, x1: float, y0: float, y1: float) -> np.ndarray:
        n = self.size
        # Overlap of the pixel's span [e, e + 1] with the box's, in pixels (never more than 1).
        cx = np.maximum(np.minimum(win.left + 1.0, x1 * n) - np.maximum(win.left, x0 * n), 0.0)
        cy = np.maximum(np.minimum(win.top + 1.0, y1 * n) - np.maximum(win.top, y0 * n), 0.0)
        return cy * cx  # exact area of the pixel inside the box

    def polygon(self, win: _Window, points: Sequence[tuple[float, float]]) -> np.ndarray:
        """Convex polygon with vertices in clockwise order on screen (y down)."""
        dist = None
        for (x0, y0), (x1, y1) in zip(points, [*points[1:], points[0]], strict=True):
            ex, ey = x1 - x0, y1 - y0
            norm = math.hypot(ex, ey)
            d = ((win.xs - x0) * ey - (win.ys - y0) * ex) / norm  # > 0 outside this edge
            dist = d if dist is None else np.maximum(dist, d)
        return _unit(0.5 - dist * self.size)


class _Textures:
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
_GAMMA = 2.2


def _unit(x: np.ndarray) -> np.ndarray:
    """Clamp a fresh array to [0, 1] in place (cheaper than np.clip on small arrays)."""
    return np.minimum(np.maximum(x, 0.0, out=x), 1.0, out=x)


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    return a + (b - a) * t


# ---------------------------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------------------------


def render_scene(layout: SceneLayout, size: int = 64, season: Season = "summer") -> Scene:
    """Paint ``layout`` as a ``size`` x ``size`` image in ``season`` ("summer" or "winter").

    Returns a :class:`Scene` whose ``rgb`` is (size, size, 3) uint8. The labels and ambiguous
    mask depend only on the layout and size, never on the season.
    """
    return render_scenes([layout], size=size, season=season)[0]


def render_scenes(layouts: Sequence[SceneLayout], size: int = 64, season: Season = "summer") -> list[Scene]:
    """:func:`render_scene` for many layouts, converting all their vivid colours in one batch."""
    if season not in _PALETTES:
        raise ValueError(f"season must be one of {SEASONS}; got {season!r}")
    if size < 8:
        raise ValueError(f"size must be at least 8 pixels; got {size}")
    if not layouts:
        return []
    lch = [_ambiguous_lch(layout) for layout in layouts]
    vivid = _vivid_linear(np.concatenate([np.zeros((0, 3)), *lch]))
    ends = np.cumsum([len(x) for x in lch])
    canvases = [
        _paint_layout(layout, size, _PALETTES[season], colors.reshape(-1, 2, 3))
        for layout, colors in zip(layouts, np.split(vivid, ends[:-1]), strict=True)
    ]
    return [
        Scene(rgb=_encode_srgb(c.rgb), labels=c.labels, ambiguous=_IS_AMBIGUOUS[c.labels]) for c in canvases
    ]


def _paint_layout(layout: SceneLayout, size: int, pal: _Palette, vivid: np.ndarray) -> _Canvas:
    """Paint one layout; ``vivid`` (balloons + cars, 2, 3) holds its objects' linear colour pairs."""
    canvas = _Canvas(size)
    tex = _Textures(layout.texture_seed, size)

    _paint_sky(canvas, layout, pal)
    if layout.sun is not None:
        _paint_sun(canvas, layout.sun, layout.horizon, pal)
    for cloud in layout.clouds:
        _paint_cloud(canvas, cloud, pal)
    balloon_colors, car_colors = vivid[: len(layout.balloons)], vivid[len(layout.balloons) :]
    for balloon, (body, highlight) in zip(layout.balloons, balloon_colors, strict=True):
        _paint_balloon(canvas, balloon, body, highlight, pal)
    _paint_hills(canvas, layout, pal)
    _paint_ground(canvas, layout, pal)
    if layout.water is not None:
        _paint_water(canvas, layout.water, layout.horizon, pal, tex)
    if layout.road is not None:
        _paint_road(canvas, layout.road, pal)

    # Ground objects back to front: the nearer (lower) an object stands, the later it is drawn.
    standing: list[tuple[float, int, Callable[[], None]]] = []
    for tree in layout.trees:
        standing.append((tree.base, 0, functools.partial(_paint_tree, canvas, tree, pal, tex)))
    for house in layout.houses:
        standing.append((house.base, 1, functools.partial(_paint_house, canvas, house, pal)))
    for car, (body, sill) in zip(layout.cars, car_colors, strict=True):
        standing.append((car.base, 2, functools.partial(_paint_car, canvas, car, body, sill, pal)))
    for _, _, paint in sorted(standing, key=lambda item: item[:2]):
        paint()

    _apply_texture(canvas, pal, tex)
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


def _paint_sky(canvas: _Canvas, layout: SceneLayout, pal: _Palette) -> None:
    """Blue at the top, paler towards the horizon (the whole canvas; the ground covers the rest)."""
    top = _lerp(*pal.sky_top, layout.sky_tone)
    bottom = _lerp(*pal.sky_horizon, layout.sky_tone)
    t = _unit(canvas.centres / layout.horizon) ** 2
    canvas.rgb[:] = _lerp(top, bottom, t[:, None])[:, None, :]
    canvas.labels[:] = SceneClass.SKY


def _paint_sun(canvas: _Canvas, sun: Sun, horizon: float, pal: _Palette) -> None:
    low = np.clip(sun.y / horizon, 0.0, 1.0) ** 2  # the lower the sun, the more orange
    color = _lerp(pal.sun_high, pal.sun_low, low)
    glow_r = sun.radius * 3.0
    win = canvas.window(sun.x - glow_r, sun.x + glow_r, sun.y - glow_r, sun.y + glow_r)
    if win is None:
        return
    dist = np.sqrt((win.xs - sun.x) ** 2 + (win.ys - sun.y) ** 2)
    glow = 0.45 * _unit(1.0 - dist / glow_r) ** 2
    region = canvas.rgb[win.rows, win.cols]
    region += glow[..., None] * (_lerp(color, np.float32(1.0), 0.5) - region)
    canvas.paint(win, canvas.ellipse(win, sun.x, sun.y, sun.radius, sun.radius), color, SceneClass.SUN)


def _paint_cloud(canvas: _Canvas, cloud: Cloud, pal: _Palette) -> None:
    """The union of the puffs, white on top and grayer underneath."""
    puffs = np.asarray(cloud.puffs)
    x, y, rx, ry = puffs.T
    top, bottom = float((y - ry).min()), float((y + ry).max())
    win = canvas.window(float((x - rx).min()), float((x + rx).max()), top, bottom)
    if win is None:
        return
    coverage = np.maximum.reduce([canvas.ellipse(win, *puff) for puff in cloud.puffs])
    shade = _unit((win.ys - top) / (bottom - top)) ** 2
    canvas.paint(win, coverage, _lerp(pal.cloud_top, pal.cloud_bottom, shade[..., None]), SceneClass.CLOUD)


def _paint_balloon(
    canvas: _Canvas, b: Balloon, body: np.ndarray, highlight: np.ndarray, pal: _Palette
) -> None:
    string_end = b.y + b.ry + b.string_length
    string_half = 0.35 / canvas.size  # a line about 0.7 px wide
    win = canvas.window(b.x - string_half, b.x + string_half, b.y + 0.8 * b.ry, string_end)
    if win is not None:
        canvas.paint(
            win,
            canvas.box(win, b.x - string_half, b.x + string_half, b.y, string_end),
            pal.string,
            SceneClass.STRING,
        )
    win = canvas.window(b.x - b.rx, b.x + b.rx, b.y - b.ry, b.y + b.ry)
    if win is None:
        return
    canvas.paint(win, canvas.ellipse(win, b.x, b.y, b.rx, b.ry), body, SceneClass.BALLOON)
    hx, hy = b.x - 0.35 * b.rx, b.y - 0.4 * b.ry
    shine = canvas.ellipse(win, hx, hy, 0.3 * b.rx, 0.3 * b.ry) * 0.9
    canvas.paint(win, shine, highlight, SceneClass.BALLOON)


def _hill_line(layout: SceneLayout, xs: np.ndarray) -> np.ndarray:
    height, freq, phase = layout.hills
    wave = 0.6 + 0.25 * np.sin(freq * xs + phase) + 0.15 * np.sin(2.7 * freq * xs + 2.0 * phase)
    return layout.horizon - height * wave


def _paint_hills(canvas: _Canvas, layout: SceneLayout, pal: _Palette) -> None:
    height = layout.hills[0]
    if height <= 0.0:
        return
    win = canvas.window(0.0, 1.0, layout.horizon - height, layout.horizon)
    if win is None:
        return
    line = _hill_line(layout, win.xs)
    coverage = _unit((win.ys - line) * canvas.size + 0.5)
    haze = _lerp(pal.hill, _lerp(*pal.sky_horizon, layout.sky_tone), 0.25)
    canvas.paint(win, coverage, haze, SceneClass.HILL)


def _paint_ground(canvas: _Canvas, layout: SceneLayout, pal: _Palette) -> None:
    win = canvas.window(0.0, 1.0, layout.horizon, 1.0)
    if win is None:
        return
    far = _lerp(*pal.ground_far, layout.ground_tone)
    near = _lerp(*pal.ground_near, layout.ground_tone)
    t = _unit((win.ys - layout.horizon) / (1.0 - layout.horizon)) ** 0.7
    color = np.broadcast_to(_lerp(far, near, t[..., None]), (*t.shape[:1], win.xs.shape[1], 3))
    coverage = np.broadcast_to(_unit((win.ys - layout.horizon) * canvas.size + 0.5), color.shape[:2])
    canvas.paint(win, coverage, color, SceneClass.GROUND)


def _paint_water(canvas: _Canvas, w: Water, horizon: float, pal: _Palette, tex: _Textures) -> None:
    win = canvas.window(w.x - w.half_width, w.x + w.half_width, horizon, horizon + w.depth)
    if win is None:
        return
    below = _unit((win.ys - horizon) * canvas.size + 0.5)
    coverage = canvas.ellipse(win, w.x, horizon, w.half_width, w.depth) * below
    depth = _unit((win.ys - horizon) / w.depth)  # 0 at the far shore
    if pal.snow is not None:  # frozen
        streaks = 0.5 + 0.5 * np.sin(40.0 * win.xs + 9.0 * win.ys + 3.0 * tex.blotches[win.rows, win.cols])
        light = 0.35 + 0.4 * streaks**4 - 0.2 * depth
    else:
        # Ripples: horizontal bands, finer near the far shore, bent a little by the noise field.
        phase = 220.0 * np.sqrt(depth + 0.05) * w.depth + 1.5 * tex.blotches[win.rows, win.cols]
        ripples = np.clip(np.sin(phase * 2.0 * np.pi) - 0.55, 0.0, None) * 1.6
        light = 0.45 * (1.0 - depth) + 0.5 * ripples * (0.4 + 0.6 * depth)
    color = _lerp(pal.water_deep, pal.water_light, _unit(light)[..., None])
    canvas.paint(win, coverage, color, SceneClass.WATER)


def _paint_road(canvas: _Canvas, road: Road, pal: _Palette) -> None:
    win = canvas.window(0.0, 1.0, road.top, road.bottom)
    if win is None:
        return
    coverage = canvas.box(win, -1.0, 2.0, road.top, road.bottom)
    canvas.paint(win, coverage, pal.road, SceneClass.ROAD)


def _paint_tree(canvas: _Canvas, tree: Tree, pal: _Palette, tex: _Textures) -> None:
    trunk_w = tree.width * 0.16
    trunk_top = tree.base - tree.height * (0.45 if not tree.conifer else 0.25)
    win = canvas.window(tree.x - trunk_w / 2, tree.x + trunk_w / 2, trunk_top, tree.base)
    if win is not None:
        coverage = canvas.box(win, tree.x - trunk_w / 2, tree.x + trunk_w / 2, trunk_top, tree.base)
        canvas.paint(win, coverage, pal.trunk, SceneClass.TRUNK)

    half, top = tree.width / 2, tree.base - tree.height
    win = canvas.window(tree.x - half, tree.x + half, top, tree.base)
    if win is None:
        return
    if tree.conifer:
        bottom = tree.base - 0.15 * tree.height
        coverage = canvas.polygon(win, [(tree.x, top), (tree.x + half, bottom), (tree.x - half, bottom)])
        base = pal.conifer * (0.85 + 0.3 * tree.tone) ** _GAMMA
    else:
        cy, ry = top + 0.33 * tree.height, 0.33 * tree.height
        coverage = canvas.ellipse(win, tree.x, cy, half, ry)
        base = _lerp(*pal.crown, tree.tone)
    # Light from the upper left: crowns are brighter there and darker at the lower right.
    light = 1.0 + 0.35 * (
        (top + 0.4 * tree.height - win.ys) / tree.height - 0.5 * (win.xs - tree.x) / tree.width
    )
    color = base * (np.maximum(light, 0.0) ** _GAMMA)[..., None]
    if pal.snow is not None:
        # Snow lies in blotches, more of it near the top of the crown.
        height_up = (tree.base - win.ys) / tree.height
        snowy = _unit(2.5 * (tex.blotches[win.rows, win.cols] * 0.5 + height_up - 0.6))
        color = _lerp(color, pal.snow, snowy[..., None] * (0.6 if tree.conifer else 0.45))
    canvas.paint(win, coverage, color, SceneClass.CROWN)


def _paint_house(canvas: _Canvas, h: House, pal: _Palette) -> None:
    x0, x1 = h.x - h.width / 2, h.x + h.width / 2
    wall_top = h.base - h.wall_height
    win = canvas.window(x0, x1, wall_top, h.base)
    if win is not None:
        wall = pal.walls[min(int(h.wall_tone * len(pal.walls)), len(pal.walls) - 1)]
        shade = np.where(win.xs > h.x + 0.3 * h.width, 0.9**_GAMMA, 1.0)[..., None]  # a shaded corner
        canvas.paint(win, canvas.box(win, x0, x1, wall_top, h.base), wall * shade, SceneClass.WALL)
        # A door reaching the ground and a window beside it.
        dx = h.x + h.door_offset * h.width
        dw, dh = 0.16 * h.width, 0.6 * h.wall_height
        canvas.paint(
            win,
            canvas.box(win, dx - dw / 2, dx + dw / 2, h.base - dh, h.base),
            pal.door,
            SceneClass.DOOR_WINDOW,
        )
        wx = h.x + (0.25 if h.door_offset <= 0 else -0.25) * h.width
        ws = 0.17 * h.width
        wy = wall_top + 0.3 * h.wall_height
        canvas.paint(
            win, canvas.box(win, wx - ws / 2, wx + ws / 2, wy, wy + ws), pal.window, SceneClass.DOOR_WINDOW
        )

    overhang = 0.08 * h.width
    apex_y = wall_top - h.roof_height
    win = canvas.window(x0 - overhang, x1 + overhang, apex_y, wall_top)
    if win is None:
        return
    coverage = canvas.polygon(win, [(h.x, apex_y), (x1 + overhang, wall_top), (x0 - overhang, wall_top)])
    roof = _lerp(*pal.roof, h.roof_tone)
    down = _unit((win.ys - apex_y) / h.roof_height)
    color = roof * ((1.05 - 0.2 * down) ** _GAMMA)[..., None]  # lighter towards the ridge
    if pal.snow is not None:
        color = _lerp(color, pal.snow, (down < 0.78)[..., None] * 0.95)  # snow down to the eaves
    color = np.broadcast_to(color, (*coverage.shape, 3))
    canvas.paint(win, coverage, color, SceneClass.ROOF)


def _paint_car(canvas: _Canvas, car: Car, body: np.ndarray, sill: np.ndarray, pal: _Palette) -> None:
    """Body, cabin with a window, a darker sill stripe and two wheels; ``body``, ``sill`` are sRGB."""
    n = car.length
    x0, x1 = car.x - n / 2, car.x + n / 2
    wheel_r = 0.11 * n
    body_bottom = car.base - 0.7 * wheel_r
    body_top = body_bottom - 0.26 * n
    cabin_top = body_top - 0.2 * n
    win = canvas.window(x0, x1, cabin_top, car.base)
    if win is None:
        return

    def at(u: float) -> float:
        """x of the point a fraction ``u`` from the back of the car to its front."""
        return car.x + car.facing * (u - 0.5) * n

    cabin = [(at(0.12), body_top), (at(0.28), cabin_top), (at(0.62), cabin_top), (at(0.8), body_top)]
    glass_top = cabin_top + 0.04 * n
    glass = [(at(0.2), body_top), (at(0.31), glass_top), (at(0.59), glass_top), (at(0.71), body_top)]
    canvas.paint(win, canvas.polygon(win, _clockwise(cabin)), body, SceneClass.CAR)
    canvas.paint(win, canvas.polygon(win, _clockwise(glass)), pal.car_window, SceneClass.CAR_WINDOW)
    canvas.paint(win, canvas.box(win, x0, x1, body_top, body_bottom), body, SceneClass.CAR)
    sill_top = body_top + 0.6 * (body_bottom - body_top)
    canvas.paint(win, canvas.box(win, x0, x1, sill_top, body_bottom), sill, SceneClass.CAR)
    for u in (0.2, 0.8):
        wx, wy = at(u), car.base - wheel_r
        canvas.paint(win, canvas.ellipse(win, wx, wy, wheel_r, wheel_r), pal.tyre, SceneClass.WHEEL)
        hub = canvas.ellipse(win, wx, wy, 0.45 * wheel_r, 0.45 * wheel_r)
        canvas.paint(win, hub, pal.hubcap, SceneClass.WHEEL)


def _clockwise(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Order a convex polygon's vertices clockwise on screen (y down), as _Canvas.polygon wants."""
    pts = np.asarray(points)
    centre = pts.mean(axis=0)
    angle = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    return [tuple(p) for p in pts[np.argsort(angle)]]


def _apply_texture(canvas: _Canvas, pal: _Palette, tex: _Textures) -> None:
    """Modulate brightness per pixel by class: grass and leaves grainy, balloons and cars untouched.

    Ambiguous objects get no texture of their own. Scaling linear light scales luminance, so the
    texture on an edge pixel they share with a neighbour keeps its gray value hue-independent.
    """
    grain = np.zeros(len(SceneClass), dtype=np.float32)
    blotch = np.zeros(len(SceneClass), dtype=np.float32)
    for cls, (g, b) in pal.texture.items():
        grain[cls], blotch[cls] = g, b
    # exp(2.2 x) ~ (1 + x) ** 2.2 for small x, and stays positive for large ones.
    factor = np.exp(_GAMMA * (grain[canvas.labels] * tex.grain + blotch[canvas.labels] * tex.blotches))
    canvas.rgb *= factor[..., None]
