"""Check 6.3 (the feathered blend of region-controlled style) both ways: it passes on the reference and on
other correct blurs, raises NotImplementedError for the stub, and names each planted mistake."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from exercise_asserts import fails, passes
from scipy.ndimage import gaussian_filter, uniform_filter

from gancolor.course import checks
from gancolor.infer.region_style import blend_region, feather_mask


def blend(blur: str = "gaussian", mistake: str = "") -> Callable:
    """A student-style feathered_blend with a switchable blur and a switchable mistake."""

    def feathered_blend(original, stylized, mask, feather):
        weights = mask.astype(np.float64) if mistake == "no scaling" else mask / 255.0
        if mistake == "inverted":
            weights = 1 - weights
        if mistake != "hard edge" and feather > 0:
            if blur == "gaussian":
                sigma = 3.0 if mistake == "fixed blur" else feather / 2
                weights = gaussian_filter(weights, sigma=sigma)
            else:  # a box blur of width 2 x feather + 1
                weights = uniform_filter(weights, size=int(2 * feather + 1), mode="nearest")
        w = weights[..., None]
        if mistake == "uint8 difference":
            out = original + w * (stylized - original)  # uint8 - uint8 wraps around
            return np.round(out).astype(np.int64).astype(np.uint8)
        if mistake == "linear light":
            lin = lambda c: np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)  # noqa: E731
            mixed = (1 - w) * lin(original / 255) + w * lin(stylized / 255)
            mixed = np.clip(mixed, 0, None)
            srgb = np.where(mixed <= 0.0031308, 12.92 * mixed, 1.055 * mixed ** (1 / 2.4) - 0.055)
            return np.clip(np.round(255 * srgb), 0, 255).astype(np.uint8)
        out = original.astype(np.float64) + w * (stylized.astype(np.float64) - original)
        if mistake == "float":
            return out
        return np.clip(np.round(out), 0, 255).astype(np.uint8)

    return feathered_blend


def package(original, stylized, mask, feather):
    return blend_region(original, stylized, feather_mask(mask / 255.0, feather))


@pytest.mark.parametrize("student", [blend(), blend("box"), package], ids=["gaussian", "box", "package"])
def test_correct_blends_pass(student, capsys):
    passes(checks.feathered_blend, student, capsys)


def test_stub_raises_not_implemented():
    def stub(*args):
        raise NotImplementedError("Exercise 6.3: not done yet")

    with pytest.raises(NotImplementedError):
        checks.feathered_blend(stub)


@pytest.mark.parametrize(("mistake", "needle"), [
    ("hard edge", "edge stays hard"),
    ("inverted", "inverted"),
    ("no scaling", "[0, 1]"),
    ("uint8 difference", "wrap around"),
    ("linear light", "linear light"),
    ("fixed blur", "grow with `feather`"),
    ("float", "uint8"),
])
def test_planted_mistakes_are_named(mistake, needle):
    fails(checks.feathered_blend, blend(mistake=mistake), needle)
