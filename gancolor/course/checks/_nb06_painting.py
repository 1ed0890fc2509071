"""Check of notebook 06's exercise 6.4, photo -> painting: the brush strokes' orientation from the
structure tensor (re-exported by nb06).

The student's ``stroke_orientation(gray, sigma)`` gets images whose edge directions are known:
vertical, horizontal and both diagonal stripes (the strokes must run along them) and concentric
rings (tangent to the rings), then a noisy stripe image compared with the reference
(:func:`gancolor.data.paintings.stroke_orientation`). Angles are compared modulo π (a stroke has
no sign), away from the border and only where the image has a clear direction. A wrong answer is
matched against the typical mistakes, which are named: the gradient's orientation instead of the
edge's (no + π/2), the doubled angle (no ½), ``atan`` instead of ``atan2`` (half of the directions
folded onto the other half), x and y swapped, gradient *angles* averaged instead of the tensor
(g and -g cancel), and no smoothing of the tensor.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from gancolor.course.checks._framework import ExerciseFailed, describe, exercise, expect_shape, expect_true
from gancolor.data.paintings import gaussian_blur, sobel, structure_tensor
from gancolor.data.paintings import stroke_orientation as reference

__all__ = ["stroke_orientation"]

_HINT = ("gx, gy = sobel(gray); J = gaussian_blur(torch.cat([gx * gx, gx * gy, gy * gy], dim=1), sigma); "
         "phi = 0.5 * torch.atan2(2 J_xy, J_xx - J_yy) is the gradient's orientation; the stroke runs "
         "along the edge, at phi + pi / 2")

_SIZE, _MARGIN, _TOLERANCE = 40, 6, math.radians(4.0)


def _stripes(fx: float, fy: float) -> torch.Tensor:
    """(1, 1, S, S) sin(2π (fx x + fy y) / 10): stripes whose edges run perpendicular to (fx, fy)."""
    y, x = torch.meshgrid(torch.arange(_SIZE, dtype=torch.float64), torch.arange(_SIZE, dtype=torch.float64),
                          indexing="ij")
    return torch.sin(2 * math.pi * (fx * x + fy * y) / 10).float()[None, None]


def _rings() -> tuple[torch.Tensor, torch.Tensor]:
    """Concentric rings around the centre, (1, 1, S, S), and the angle of the ring's tangent there."""
    y, x = torch.meshgrid(torch.arange(_SIZE, dtype=torch.float64), torch.arange(_SIZE, dtype=torch.float64),
                          indexing="ij")
    dx, dy = x - _SIZE / 2 + 0.5, y - _SIZE / 2 + 0.5
    radius = torch.sqrt(dx * dx + dy * dy)
    tangent = torch.atan2(dy, dx) + math.pi / 2
    return torch.cos(2 * math.pi * radius / 9).float()[None, None], tangent[None, None]


def _angle_error(got: torch.Tensor, wanted: torch.Tensor) -> torch.Tensor:
    """|got - wanted| modulo π, in [0, π/2] (a stroke has no sign)."""
    difference = torch.remainder(got.double() - wanted.double() + math.pi / 2, math.pi) - math.pi / 2
    return difference.abs()


def _inside(mask: torch.Tensor | None = None) -> torch.Tensor:
    """The pixels compared: away from the border (and where ``mask``)."""
    inside = torch.zeros(1, 1, _SIZE, _SIZE, dtype=torch.bool)
    inside[..., _MARGIN:-_MARGIN, _MARGIN:-_MARGIN] = True
    return inside if mask is None else inside & mask


def _coherent(gray: torch.Tensor, sigma: float) -> torch.Tensor:
    """Where the structure tensor has one clear direction: coherence ((λ1 - λ2) / (λ1 + λ2))² > 0.5."""
    jxx, jxy, jyy = structure_tensor(gray, sigma)
    trace, diff = jxx + jyy, torch.sqrt((jxx - jyy) ** 2 + 4 * jxy ** 2)
    return (diff / trace.clamp(min=1e-12)) ** 2 > 0.5


def _mistakes(gray: torch.Tensor, sigma: float) -> list[tuple[str, torch.Tensor]]:
    """(name, the orientation that mistake gives) for the typical mistakes."""
    gx, gy = sobel(gray)
    jxx, jxy, jyy = structure_tensor(gray, sigma)
    rxx, rxy, ryy = structure_tensor(gray, sigma, smooth=False)
    half = math.pi / 2
    return [
        ("the angle is the gradient's orientation: brush strokes must run *along* the edges, across the "
         "gradient (add pi / 2)", 0.5 * torch.atan2(2 * jxy, jxx - jyy)),
        ("the angle is doubled: atan2(2 J_xy, J_xx - J_yy) is twice the orientation (J cannot tell g "
         "from -g), so take half of it", torch.atan2(2 * jxy, jxx - jyy) + half),
        ("atan instead of atan2: atan(2 J_xy / (J_xx - J_yy)) loses the quadrant, so half of the directions "
         "fold onto the others (horizontal edges come out vertical); use torch.atan2",
         torch.nan_to_num(0.5 * torch.atan(2 * jxy / (jxx - jyy))) + half),
        ("x and y are swapped (atan2 takes y first; J_xx is the x gradient squared)",
         0.5 * torch.atan2(2 * jxy, jyy - jxx) + half),
        ("the gradient angles were averaged instead of the structure tensor: g and -g point opposite ways "
         "and cancel on either side of a stripe; blur g gᵀ, then take the angle",
         gaussian_blur(torch.atan2(gy, gx), sigma) + half),
        ("the structure tensor is not smoothed: blur J = [gx², gx gy, gy²] with gaussian_blur(..., sigma) "
         "before taking its angle", 0.5 * torch.atan2(2 * rxy, rxx - ryy) + half),
    ]


def _run(student: Callable, gray: torch.Tensor, sigma: float, what: str) -> torch.Tensor:
    """The student's orientation of ``gray``: a finite (1, 1, S, S) tensor; the input left unchanged."""
    __tracebackhide__ = True
    copy = gray.clone()
    theta = student(gray, sigma)
    expect_shape(theta, (1, 1, _SIZE, _SIZE), f"stroke_orientation({what})",
                 hint="return one angle per pixel, shaped like the gray image (N, 1, H, W)")
    expect_true(bool(torch.isfinite(theta).all()), f"stroke_orientation({what}) has NaN or inf values",
                got=describe(theta), hint="atan2 is finite everywhere (atan of a ratio is not)")
    expect_true(torch.equal(gray, copy), "stroke_orientation changed the gray image in place: work on copies")
    return theta.detach()


def _error_on(theta: torch.Tensor, wanted: torch.Tensor, mask: torch.Tensor) -> float:
    """The largest angle error (radians, modulo π) on ``mask``."""
    return float(_angle_error(theta, wanted)[mask].max())


@exercise("6.4", "stroke orientation", hint=_HINT)
def stroke_orientation(student: Callable) -> None:
    """``student(gray, sigma)``: (N, 1, H, W) float, px -> θ (N, 1, H, W) radians, along the edges."""
    __tracebackhide__ = True
    sigma = 1.5
    rings, tangent = _rings()
    generator = torch.Generator().manual_seed(0)
    noisy = _stripes(1, 0.4) + 0.6 * torch.randn(1, 1, _SIZE, _SIZE, generator=generator)
    cases = [  # (description, image, the edge's direction at every pixel, the pixels compared)
        ("vertical stripes (edges vertical)", _stripes(1, 0), math.pi / 2, _inside()),
        ("horizontal stripes (edges horizontal)", _stripes(0, 1), 0.0, _inside()),
        ("stripes along the diagonal x = y (y downwards)", _stripes(1, -1), math.pi / 4, _inside()),
        ("stripes along the anti-diagonal x = -y", _stripes(1, 1), -math.pi / 4, _inside()),
        ("concentric rings (strokes tangent to the rings)", rings, tangent, _inside(_coherent(rings, sigma))),
        ("noisy stripes (compared with the reference)", noisy, reference(noisy, sigma),
         _inside(_coherent(noisy, sigma))),
    ]
    answers = [_run(student, gray, sigma, what.split(" (")[0]) for what, gray, _, _ in cases]
    failing = [(case, theta) for case, theta in zip(cases, answers, strict=True)
               if _error_on(theta, torch.as_tensor(case[2]).expand_as(theta), case[3]) > _TOLERANCE]
    if not failing:
        return
    # A mistake is named when it gives the student's angles on every case (single images can't tell
    # some mistakes apart: on vertical stripes, swapping x and y looks like forgetting the + π/2).
    mistakes = [_mistakes(gray, sigma) for _, gray, _, _ in cases]
    for index, (name, _) in enumerate(mistakes[0]):
        if all(_error_on(theta, per_case[index][1], case[3]) <= _TOLERANCE
               for case, theta, per_case in zip(cases, answers, mistakes, strict=True)):
            raise ExerciseFailed(f"on {failing[0][0][0]}: {name}")
    (what, _, wanted, mask), theta = failing[0]
    error = _angle_error(theta, torch.as_tensor(wanted).expand_as(theta))[mask]
    raise ExerciseFailed(f"on {what} the strokes do not run along the edges",
                         expected="the edge's direction at every pixel (angles compared modulo pi)",
                         got=f"up to {math.degrees(float(error.max())):.0f} degrees off "
                             f"(median {math.degrees(float(error.median())):.0f})")
