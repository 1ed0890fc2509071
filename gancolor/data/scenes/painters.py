"""One painter per kind of object: sky, sun, clouds, balloons, hills, ground, water, road, trees,
houses and cars, then the per-class texture. Each paints into a :class:`Canvas` in a season's
:class:`Palette`; :func:`gancolor.data.scenes.render.render_scenes` calls them back to front.
"""

from __future__ import annotations

import numpy as np

from gancolor.data.scenes.canvas import GAMMA, Canvas, Textures, lerp, unit
from gancolor.data.scenes.objects import (
    Balloon,
    Car,
    Cloud,
    House,
    Road,
    SceneClass,
    SceneLayout,
    Sun,
    Tree,
    Water,
)
from gancolor.data.scenes.palettes import Palette

__all__ = [
    "paint_sky",
    "paint_sun",
    "paint_cloud",
    "paint_balloon",
    "paint_hills",
    "paint_ground",
    "paint_water",
    "paint_road",
    "paint_tree",
    "paint_house",
    "paint_car",
    "apply_texture",
]


def paint_sky(canvas: Canvas, layout: SceneLayout, pal: Palette) -> None:
    """Blue at the top, paler towards the horizon (the whole canvas; the ground covers the rest)."""
    top = lerp(*pal.sky_top, layout.sky_tone)
    bottom = lerp(*pal.sky_horizon, layout.sky_tone)
    t = unit(canvas.centres / layout.horizon) ** 2
    canvas.rgb[:] = lerp(top, bottom, t[:, None])[:, None, :]
    canvas.labels[:] = SceneClass.SKY


def paint_sun(canvas: Canvas, sun: Sun, horizon: float, pal: Palette) -> None:
    low = np.clip(sun.y / horizon, 0.0, 1.0) ** 2  # the lower the sun, the more orange
    color = lerp(pal.sun_high, pal.sun_low, low)
    glow_r = sun.radius * 3.0
    win = canvas.window(sun.x - glow_r, sun.x + glow_r, sun.y - glow_r, sun.y + glow_r)
    if win is None:
        return
    dist = np.sqrt((win.xs - sun.x) ** 2 + (win.ys - sun.y) ** 2)
    glow = 0.45 * unit(1.0 - dist / glow_r) ** 2
    region = canvas.rgb[win.rows, win.cols]
    region += glow[..., None] * (lerp(color, np.float32(1.0), 0.5) - region)
    canvas.paint(win, canvas.ellipse(win, sun.x, sun.y, sun.radius, sun.radius), color, SceneClass.SUN)


def paint_cloud(canvas: Canvas, cloud: Cloud, pal: Palette) -> None:
    """The union of the puffs, white on top and grayer underneath."""
    puffs = np.asarray(cloud.puffs)
    x, y, rx, ry = puffs.T
    top, bottom = float((y - ry).min()), float((y + ry).max())
    win = canvas.window(float((x - rx).min()), float((x + rx).max()), top, bottom)
    if win is None:
        return
    coverage = np.maximum.reduce([canvas.ellipse(win, *puff) for puff in cloud.puffs])
    shade = unit((win.ys - top) / (bottom - top)) ** 2
    canvas.paint(win, coverage, lerp(pal.cloud_top, pal.cloud_bottom, shade[..., None]), SceneClass.CLOUD)


def paint_balloon(
    canvas: Canvas, b: Balloon, body: np.ndarray, highlight: np.ndarray, pal: Palette
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


def paint_hills(canvas: Canvas, layout: SceneLayout, pal: Palette) -> None:
    height = layout.hills[0]
    if height <= 0.0:
        return
    win = canvas.window(0.0, 1.0, layout.horizon - height, layout.horizon)
    if win is None:
        return
    line = _hill_line(layout, win.xs)
    coverage = unit((win.ys - line) * canvas.size + 0.5)
    haze = lerp(pal.hill, lerp(*pal.sky_horizon, layout.sky_tone), 0.25)
    canvas.paint(win, coverage, haze, SceneClass.HILL)


def paint_ground(canvas: Canvas, layout: SceneLayout, pal: Palette) -> None:
    win = canvas.window(0.0, 1.0, layout.horizon, 1.0)
    if win is None:
        return
    far = lerp(*pal.ground_far, layout.ground_tone)
    near = lerp(*pal.ground_near, layout.ground_tone)
    t = unit((win.ys - layout.horizon) / (1.0 - layout.horizon)) ** 0.7
    color = np.broadcast_to(lerp(far, near, t[..., None]), (*t.shape[:1], win.xs.shape[1], 3))
    coverage = np.broadcast_to(unit((win.ys - layout.horizon) * canvas.size + 0.5), color.shape[:2])
    canvas.paint(win, coverage, color, SceneClass.GROUND)


def paint_water(canvas: Canvas, w: Water, horizon: float, pal: Palette, tex: Textures) -> None:
    win = canvas.window(w.x - w.half_width, w.x + w.half_width, horizon, horizon + w.depth)
    if win is None:
        return
    below = unit((win.ys - horizon) * canvas.size + 0.5)
    coverage = canvas.ellipse(win, w.x, horizon, w.half_width, w.depth) * below
    depth = unit((win.ys - horizon) / w.depth)  # 0 at the far shore
    if pal.snow is not None:  # frozen
        streaks = 0.5 + 0.5 * np.sin(40.0 * win.xs + 9.0 * win.ys + 3.0 * tex.blotches[win.rows, win.cols])
        light = 0.35 + 0.4 * streaks**4 - 0.2 * depth
    else:
        # Ripples: horizontal bands, finer near the far shore, bent a little by the noise field.
        phase = 220.0 * np.sqrt(depth + 0.05) * w.depth + 1.5 * tex.blotches[win.rows, win.cols]
        ripples = np.clip(np.sin(phase * 2.0 * np.pi) - 0.55, 0.0, None) * 1.6
        light = 0.45 * (1.0 - depth) + 0.5 * ripples * (0.4 + 0.6 * depth)
    color = lerp(pal.water_deep, pal.water_light, unit(light)[..., None])
    canvas.paint(win, coverage, color, SceneClass.WATER)


def paint_road(canvas: Canvas, road: Road, pal: Palette) -> None:
    win = canvas.window(0.0, 1.0, road.top, road.bottom)
    if win is None:
        return
    coverage = canvas.box(win, -1.0, 2.0, road.top, road.bottom)
    canvas.paint(win, coverage, pal.road, SceneClass.ROAD)


def paint_tree(canvas: Canvas, tree: Tree, pal: Palette, tex: Textures) -> None:
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
        base = pal.conifer * (0.85 + 0.3 * tree.tone) ** GAMMA
    else:
        cy, ry = top + 0.33 * tree.height, 0.33 * tree.height
        coverage = canvas.ellipse(win, tree.x, cy, half, ry)
        base = lerp(*pal.crown, tree.tone)
    # Light from the upper left: crowns are brighter there and darker at the lower right.
    light = 1.0 + 0.35 * (
        (top + 0.4 * tree.height - win.ys) / tree.height - 0.5 * (win.xs - tree.x) / tree.width
    )
    color = base * (np.maximum(light, 0.0) ** GAMMA)[..., None]
    if pal.snow is not None:
        # Snow lies in blotches, more of it near the top of the crown.
        height_up = (tree.base - win.ys) / tree.height
        snowy = unit(2.5 * (tex.blotches[win.rows, win.cols] * 0.5 + height_up - 0.6))
        color = lerp(color, pal.snow, snowy[..., None] * (0.6 if tree.conifer else 0.45))
    canvas.paint(win, coverage, color, SceneClass.CROWN)


def paint_house(canvas: Canvas, h: House, pal: Palette) -> None:
    x0, x1 = h.x - h.width / 2, h.x + h.width / 2
    wall_top = h.base - h.wall_height
    win = canvas.window(x0, x1, wall_top, h.base)
    if win is not None:
        wall = pal.walls[min(int(h.wall_tone * len(pal.walls)), len(pal.walls) - 1)]
        shade = np.where(win.xs > h.x + 0.3 * h.width, 0.9**GAMMA, 1.0)[..., None]  # a shaded corner
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
    roof = lerp(*pal.roof, h.roof_tone)
    down = unit((win.ys - apex_y) / h.roof_height)
    color = roof * ((1.05 - 0.2 * down) ** GAMMA)[..., None]  # lighter towards the ridge
    if pal.snow is not None:
        color = lerp(color, pal.snow, (down < 0.78)[..., None] * 0.95)  # snow down to the eaves
    color = np.broadcast_to(color, (*coverage.shape, 3))
    canvas.paint(win, coverage, color, SceneClass.ROOF)


def paint_car(canvas: Canvas, car: Car, body: np.ndarray, sill: np.ndarray, pal: Palette) -> None:
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
    """Order a convex polygon's vertices clockwise on screen (y down), as Canvas.polygon wants."""
    pts = np.asarray(points)
    centre = pts.mean(axis=0)
    angle = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    return [tuple(p) for p in pts[np.argsort(angle)]]


def apply_texture(canvas: Canvas, pal: Palette, tex: Textures) -> None:
    """Modulate brightness per pixel by class: grass and leaves grainy, balloons and cars untouched.

    Ambiguous objects get no texture of their own. Scaling linear light scales luminance, so the
    texture on an edge pixel they share with a neighbour keeps its gray value hue-independent.
    """
    grain = np.zeros(len(SceneClass), dtype=np.float32)
    blotch = np.zeros(len(SceneClass), dtype=np.float32)
    for cls, (g, b) in pal.texture.items():
        grain[cls], blotch[cls] = g, b
    # exp(2.2 x) ~ (1 + x) ** 2.2 for small x, and stays positive for large ones.
    factor = np.exp(GAMMA * (grain[canvas.labels] * tex.grain + blotch[canvas.labels] * tex.blotches))
    canvas.rgb *= factor[..., None]
