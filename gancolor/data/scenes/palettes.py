"""Colours: the fixed palette of each season, and the vivid hues of balloons and cars fitted into sRGB.

Everything is linear-light RGB in [0, 1] (the canvas blends in linear light); the palettes are
written as sRGB 0..255 for readability.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch

from gancolor.color import lab_to_rgb, srgb_to_linear
from gancolor.data.scenes.objects import SceneClass, SceneLayout

__all__ = ["Season", "SEASONS", "Palette", "PALETTES", "vivid_linear", "ambiguous_lch"]

Season = Literal["summer", "winter"]
SEASONS: tuple[str, ...] = ("summer", "winter")


@dataclass(frozen=True)
class Palette:
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

PALETTES: dict[str, Palette] = {
    "summer": Palette(
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
    "winter": Palette(
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


def vivid_linear(lch: np.ndarray) -> np.ndarray:
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


def ambiguous_lch(layout: SceneLayout) -> np.ndarray:
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
