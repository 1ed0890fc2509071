"""Check 6.4 (the brush strokes' orientation from the structure tensor) both ways: it passes on the
reference and on an equivalent formula, raises NotImplementedError for the stub, and names each
planted mistake."""

from __future__ import annotations

import math

import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.data.paintings import gaussian_blur, sobel, stroke_orientation


def student(mistake: str = "") -> object:
    """A student-style stroke_orientation with a switchable mistake."""

    def orientation(gray, sigma):
        gx, gy = sobel(gray)
        if mistake == "swapped":
            gx, gy = gy, gx
        raw = torch.cat([gx * gx, gx * gy, gy * gy], dim=1)
        j = raw if mistake == "no smoothing" else gaussian_blur(raw, sigma)
        jxx, jxy, jyy = j[:, 0:1], j[:, 1:2], j[:, 2:3]
        if mistake == "averaged angles":
            phi = gaussian_blur(torch.atan2(gy, gx), sigma)
        elif mistake == "atan":
            phi = torch.nan_to_num(0.5 * torch.atan(2 * jxy / (jxx - jyy)))  # 0 / 0 patched over
        elif mistake == "doubled":
            phi = torch.atan2(2 * jxy, jxx - jyy)
        else:
            phi = 0.5 * torch.atan2(2 * jxy, jxx - jyy)
        if mistake == "across":
            return phi
        if mistake == "nan":
            return phi / 0.0
        if mistake == "shape":
            return phi[:, 0]
        return phi + math.pi / 2 + (math.pi if mistake == "" else 0.0)  # + π: the same stroke, other sign

    return orientation


def test_reference_and_an_equivalent_answer_pass(capsys):
    passes(checks.stroke_orientation, stroke_orientation, capsys)
    passes(checks.stroke_orientation, student(), capsys)


def test_stub_raises_not_implemented():
    def stub(gray, sigma):
        raise NotImplementedError("Exercise 6.4: not done yet")

    with pytest.raises(NotImplementedError):
        checks.stroke_orientation(stub)


@pytest.mark.parametrize(("mistake", "needle"), [
    ("across", "add pi / 2"),
    ("doubled", "doubled"),
    ("atan", "atan2"),
    ("swapped", "swapped"),
    ("averaged angles", "averaged"),
    ("no smoothing", "not smoothed"),
    ("nan", "NaN"),
    ("shape", "wrong shape"),
])
def test_typical_mistakes_are_named(mistake, needle):
    fails(checks.stroke_orientation, student(mistake), needle)
