"""Random scene layouts: :func:`sample_layout` draws what is where, reproducibly from a generator.

The draws (their order included) fix the embedded dataset's pixels: changing them changes every
scene, so bump ``gancolor.data.embedded.VERSION`` if you do.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gancolor.data.scenes.objects import (
    Balloon,
    Car,
    Cloud,
    House,
    Road,
    SceneLayout,
    Sun,
    Tree,
    VividColor,
    Water,
)

__all__ = ["sample_layout"]


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
