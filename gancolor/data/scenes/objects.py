"""What a scene is made of: the pixel classes and the objects of a layout.

Every object is a frozen dataclass in layout units: coordinates are fractions of the image side,
x to the right and y downwards, independent of resolution and season.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = [
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
]


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
