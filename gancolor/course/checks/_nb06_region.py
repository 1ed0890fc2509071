"""Check of notebook 06's exercise 6.3, region-controlled style: the feathered blend (re-exported by nb06).

The student's ``feathered_blend(original, stylized, mask, feather)`` gets photos it can tell apart
(the stylized one brighter in some places and darker in others, so arithmetic that wraps around
in uint8 shows) and masks it controls: all black (the output must be the original), all white
(the stylized photo), a uniform dark gray (a partial blend, in sRGB values: linear-light and
unnormalised weights are named), and a hard vertical edge (far from it: the original or the
stylization; across it: a ramp that falls smoothly, about as wide as ``feather`` says, and that
widens with ``feather``). Any blur that does this passes (Gaussian, box, distance ramp).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gancolor.course.checks._framework import ExerciseFailed, describe, exercise, expect_true

__all__ = ["feathered_blend"]

_HINT = ("weights = the mask as a fraction in [0, 1], blurred over about `feather` pixels (e.g. a Gaussian "
         "blur, scipy.ndimage); the output moves from the original towards the stylized photo by that "
         "fraction, computed in floats, rounded back to uint8")

_HEIGHT, _WIDTH, _EDGE = 24, 120, 60  # test photos; the hard edge of the half mask is at column 60


def _photos() -> tuple[np.ndarray, np.ndarray]:
    """original, stylized (H, W, 3) uint8: smooth, and differing by up to ±120 in both directions."""
    y, x = np.mgrid[0:_HEIGHT, 0:_WIDTH].astype(np.float64)
    original = np.stack([60 + 1.2 * x, 200 - 4 * y, 128 + 60 * np.sin(x / 9)], axis=-1)
    change = np.stack([100 * np.sin(y / 5 + x / 17), -90 * np.cos(x / 11), 120 * np.sin(x / 7 - y / 3)],
                      axis=-1)
    stylized = original + change
    return (np.clip(np.round(original), 0, 255).astype(np.uint8),
            np.clip(np.round(stylized), 0, 255).astype(np.uint8))


def _run(student: Callable, original: np.ndarray, stylized: np.ndarray, mask: np.ndarray, feather: float,
         what: str) -> np.ndarray:
    """The student's output for one case, checked for type, dtype and shape; inputs must stay unchanged."""
    __tracebackhide__ = True
    copies = original.copy(), stylized.copy(), mask.copy()
    out = student(original, stylized, mask, feather)
    expect_true(isinstance(out, np.ndarray), f"feathered_blend({what}) should return a NumPy array",
                got=describe(out))
    expect_true(out.shape == original.shape, f"feathered_blend({what}) should return an image of the photo's "
                "shape", expected=f"{original.shape}", got=f"{out.shape}")
    expect_true(out.dtype == np.uint8, f"feathered_blend({what}) should return uint8 pixel values, like the "
                "photos", expected="uint8", got=f"{out.dtype}",
                hint="round the blended floats, clip them to 0..255 and convert with .astype(np.uint8)")
    expect_true(all(np.array_equal(a, b) for a, b in zip(copies, (original, stylized, mask), strict=True)),
                "feathered_blend changed one of its inputs in place: work on copies")
    return out


def _linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB values 0..255 -> linear light in [0, 1]."""
    c = srgb / 255.0
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _srgb(linear: np.ndarray) -> np.ndarray:
    c = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * np.clip(linear, 0, None) ** (1 / 2.4) - 0.055)
    return np.clip(np.round(255 * c), 0, 255)


def _fraction(out: np.ndarray, original: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """Per column, how far ``out`` went from ``original`` to ``stylized`` (0: not at all, 1: fully): (W,)."""
    change, wanted = out.astype(np.float64) - original, stylized.astype(np.float64) - original
    return (change * wanted).sum(axis=(0, 2)) / (wanted * wanted).sum(axis=(0, 2))


def _ramp_width(fraction: np.ndarray) -> int:
    """Columns strictly between 5 % and 95 % of the way."""
    return int(((fraction > 0.05) & (fraction < 0.95)).sum())


@exercise("6.3", "feathered blend", hint=_HINT)
def feathered_blend(student: Callable) -> None:
    """``student(original, stylized, mask, feather)``: (H, W, 3) uint8 x 2, (H, W) uint8, px -> uint8."""
    __tracebackhide__ = True
    original, stylized = _photos()
    black = np.zeros((_HEIGHT, _WIDTH), np.uint8)
    far = np.abs(original.astype(int) - stylized).max()

    cases = [("black", 0, "nowhere", original, stylized, "the original photo", None),
             ("white", 255, "everywhere", stylized, original, "the stylized photo",
              "the mask is 0..255: as a weight it must be a fraction in [0, 1]")]
    for colour, value, where, wanted, opposite, name, hint in cases:
        out = _run(student, original, stylized, black + value, 8.0, f"mask all {colour}")
        if np.abs(out.astype(int) - opposite).max() <= 1 < far:
            raise ExerciseFailed(f"with an all-{colour} mask your blend returned the other photo: the mask "
                                 "is inverted (white = stylize, black = leave the photo as it was)")
        error = np.abs(out.astype(int) - wanted).max()
        expect_true(error <= 1, f"with an all-{colour} mask (stylize {where}) the output should be {name}",
                    expected=f"{name}, to uint8 rounding", got=f"pixels up to {error} away from it",
                    hint=hint)

    _partial(student, original, stylized)
    _edge(student, original, stylized)


def _partial(student: Callable, original: np.ndarray, stylized: np.ndarray) -> None:
    """A uniform gray mask (64 of 255) blends a quarter of the way, in sRGB values."""
    __tracebackhide__ = True
    value = 64
    weight = value / 255
    gray = np.full((_HEIGHT, _WIDTH), value, np.uint8)
    out = _run(student, original, stylized, gray, 8.0, "a uniform gray mask of 64").astype(np.float64)
    x, y = original.astype(np.float64), stylized.astype(np.float64)
    expected = x + weight * (y - x)
    error = np.abs(out - expected).max()
    if error <= 1.0:
        return
    wrapped = np.round(x + weight * (stylized - original).astype(np.float64))  # uint8 - uint8 wraps
    uint8_difference = ("the difference stylized - original was computed in uint8, where negative values "
                        "wrap around (3 - 5 = 254): convert to float first")
    mistakes = [
        ("the mask used as weights without scaling: 0..255 instead of [0, 1] (gray 64 should stylize a "
         "quarter of the way)", np.clip(np.round(x + value * (y - x)), 0, 255)),
        (uint8_difference, np.clip(wrapped, 0, 255)),
        (uint8_difference, wrapped % 256),
        ("the mask is inverted: white = stylize, black = keep", x + (1 - weight) * (y - x)),
        ("the blend is in linear light; blend the sRGB values themselves, where the stylizer's change "
         "G(x) - x is defined", _srgb((1 - weight) * _linear(x) + weight * _linear(y))),
    ]
    for name, candidate in mistakes:
        if np.abs(out - candidate).max() <= 1.0:
            raise ExerciseFailed(f"with a uniform gray mask (64 of 255): {name}",
                                 expected="original + 64/255 x (stylized - original), per pixel",
                                 got=f"pixels up to {error:.0f} away from it")
    raise ExerciseFailed("with a uniform gray mask (64 of 255) the output should be a quarter of the way "
                         "from the original to the stylized photo, in every pixel (blurring a uniform mask "
                         "leaves it as it is)", expected="original + 64/255 x (stylized - original)",
                         got=f"pixels up to {error:.0f} away from it")


def _edge(student: Callable, original: np.ndarray, stylized: np.ndarray) -> None:
    """A hard vertical edge: the far sides untouched, a smooth ramp across, as wide as ``feather`` says."""
    __tracebackhide__ = True
    half = np.zeros((_HEIGHT, _WIDTH), np.uint8)
    half[:, :_EDGE] = 255  # stylize the left half
    widths = {}
    for feather in (4.0, 8.0):
        out = _run(student, original, stylized, half, feather, f"a half-white mask, feather={feather:g}")
        margin = int(3 * feather)
        left = np.abs(out[:, : _EDGE - margin].astype(int) - stylized[:, : _EDGE - margin]).max()
        right = np.abs(out[:, _EDGE + margin:].astype(int) - original[:, _EDGE + margin:]).max()
        expect_true(left <= 1 and right <= 1,
                    f"with a mask white on the left half, feather={feather:g}: farther than {margin} px "
                    "from the edge the output should be the stylized photo on the left and the original on "
                    "the right",
                    got=f"left side up to {left} away from the stylized photo, right side up to {right} away "
                        "from the original", hint="blur the mask over about `feather` pixels, not more")
        fraction = _fraction(out, original, stylized)
        steps = np.diff(fraction)
        jump = -steps.min()
        if jump > 0.9:
            raise ExerciseFailed(f"the mask's edge stays hard (feather={feather:g}): the output jumps from "
                                 "the stylized photo to the original between two columns; blur the mask's "
                                 "edge over about `feather` pixels",
                                 got=f"a jump of {jump:.2f} of the way in one pixel")
        expect_true(steps.max() <= 0.02 and jump <= 0.35,
                    f"across the mask's edge (feather={feather:g}) the output should move smoothly and "
                    "steadily from the stylized photo to the original",
                    got=f"steps of up to {jump:.2f} of the way in one pixel, rises of {steps.max():.2f}",
                    hint="a blur of the mask (Gaussian, sigma about feather / 2) gives a smooth ramp")
        widths[feather] = _ramp_width(fraction)
        expect_true(feather * 0.75 <= widths[feather] <= 5 * feather,
                    f"the ramp across the edge should be about 2 x feather pixels wide (feather={feather:g})",
                    expected=f"between {feather * 0.75:g} and {5 * feather:g} columns between 5 % and 95 %",
                    got=f"{widths[feather]} columns")
    expect_true(widths[8.0] > widths[4.0],
                "feather=8 gave a ramp no wider than feather=4: the blur should grow with `feather`",
                got=f"{widths[4.0]} and {widths[8.0]} columns")
