"""How a clip moves: a camera pan and a constant integer velocity per balloon and car.

Every velocity is a whole number of pixels per frame, so an object's pixels at frame t + 1 are
exactly its pixels at frame t shifted (no resampling): the true motion is known exactly, and a
warping error measured with it is zero on the true colours. Objects are numbered (their *ids*):
0 is the static world (sky, sun, clouds, hills, ground, water, road, trees, houses), then the
balloons in painting order (1 .. B), then the cars (B + 1 .. B + C).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gancolor.data.scenes import SceneLayout

__all__ = ["ClipMotion", "sample_motion", "MAX_OBJECTS"]

#: At most this many ids per clip (world + 3 balloons + 2 cars, rounded up).
MAX_OBJECTS = 8


@dataclass(frozen=True)
class ClipMotion:
    """The motion of one clip, in world pixels per frame at the clip's size.

    ``pan``: camera velocity in x (content moves by ``-pan``); ``velocity`` (K, 2) int: (dx, dy)
    of object id k in the world (row 0, the static world, is (0, 0)).
    """

    pan: int
    velocity: np.ndarray

    def flow(self, ids: np.ndarray) -> np.ndarray:
        """Per-pixel displacement to the next frame in image pixels: ids (..., H, W) -> (..., 2, H, W) int.

        A pixel showing object k at (x, y) shows it at (x + dx, y + dy) in the next frame, with
        (dx, dy) = velocity[k] - (pan, 0).
        """
        image_velocity = self.velocity - np.array([self.pan, 0])
        return np.moveaxis(image_velocity[ids], -1, -3)


def sample_motion(rng: np.random.Generator, layout: SceneLayout, size: int) -> ClipMotion:
    """Draw a camera pan and object velocities for ``layout`` (scaled with ``size``: 1 px at 64 px).

    Balloons drift sideways at -1, 0 or +1 unit and rise at 0 or 1 (so neighbours overtake and
    hide each other, and some sink behind the hills); cars drive forwards at 1 or 2 units (cars
    facing each other pass); the camera pans by -1, 0 or +1 unit. A clip where nothing would move
    pans.
    """
    unit = max(1, round(size / 64))
    pan = int(rng.choice([-1, 0, 0, 1]))
    rows = [(0, 0)]
    for _ in layout.balloons:
        rows.append((int(rng.integers(-1, 2)), -int(rng.integers(0, 2))))
    for car in layout.cars:
        rows.append((car.facing * int(rng.integers(1, 3)), 0))
    velocity = np.array(rows, dtype=np.int64) * unit
    if pan == 0 and not velocity.any():
        pan = 1
    return ClipMotion(pan=pan * unit, velocity=velocity)
