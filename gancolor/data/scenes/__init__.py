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

The package, one job per module (each imports only the ones above it):

- :mod:`~gancolor.data.scenes.objects` -- the pixel classes and the objects of a layout;
- :mod:`~gancolor.data.scenes.layout` -- :func:`sample_layout`, the random draws;
- :mod:`~gancolor.data.scenes.palettes` -- each season's colours, vivid hues fitted into sRGB;
- :mod:`~gancolor.data.scenes.canvas` -- anti-aliased shapes on a linear-light canvas, noise textures;
- :mod:`~gancolor.data.scenes.painters` -- one painter per kind of object;
- :mod:`~gancolor.data.scenes.render` -- :func:`render_scenes`: paint layouts, encode sRGB.
"""

from __future__ import annotations

from gancolor.data.scenes.layout import sample_layout
from gancolor.data.scenes.objects import (
    AMBIGUOUS_CLASSES,
    Balloon,
    Car,
    Cloud,
    House,
    Road,
    SceneClass,
    SceneLayout,
    Sun,
    Tree,
    VividColor,
    Water,
)
from gancolor.data.scenes.palettes import SEASONS, Season
from gancolor.data.scenes.render import Scene, random_scene, render_scene, render_scenes

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

