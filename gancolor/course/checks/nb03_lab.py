"""Checks of notebook 03, the Lab color space: gamma decoding, XYZ -> Lab, sRGB -> Lab, and the
normalisation the networks see.

Each check runs the student's function on fixed colours (random ones, the corners of the RGB
cube, grays, dark and strongly saturated colours, values at the gamma knee) and compares it with
an independent reference: scikit-image's ``rgb2xyz``, ``xyz2lab`` and ``rgb2lab`` for the colour
science, the course convention (``L / 50 - 1``, ``ab / 110``) for the normalisation. The Lab
conversions must also have finite gradients, at pure black too (the clamp in the cube root). When the
answer is wrong, the check first tries the typical mistakes (a pure power-law gamma, a missing
linear segment, the wrong white or none, swapped a and b, a transposed matrix, ``L / 100`` ...)
and names the one it recognises; otherwise it says which channel is off and for which colours.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import torch

from gancolor.color import AB_SCALE, L_SCALE
from gancolor.course.checks._framework import (
    ExerciseFailed,
    Mistake,
    exercise,
    expect_finite,
    expect_shape,
    expect_tensor,
    expect_true,
    first_mistake,
)
from gancolor.course.checks.nb03_design import coarsest_ab

__all__ = ["srgb_to_linear", "xyz_to_lab", "rgb_to_lab", "normalize_lab", "coarsest_ab"]

# The constants of the notebook (and of scikit-image).
_KNEE = 0.04045  # sRGB decoding: the linear segment is at and below this value
_XYZ_FROM_RGB = np.array([
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
])
_WHITE_D65 = np.array([0.95047, 1.0, 1.08883])
_WHITE_D50 = np.array([0.96422, 1.0, 0.82521])
_WHITE_TEXT = "(Xn, Yn, Zn) = (0.95047, 1, 1.08883)"
_DELTA3 = (6 / 29) ** 3  # f(t) is linear at and below this value (0.008856)

# Agreement asked for. Lab: a hundredth of a unit, about a hundredth of the smallest colour
# difference one can see, and loose enough for the exact CIE constants (841/108, 216/24389)
# instead of the rounded ones (7.787, 0.008856), and for float32.
_LINEAR_ATOL = 1e-5
_LAB_ATOL = 1e-2
# A wrong answer "is" a known mistake when it agrees with it this well.
_MISTAKE_ATOL = {"linear": 1e-6, "lab": 1e-3}

_NUMPY_HINT = ("work with torch functions only (torch.where, **, torch.stack ...): NumPy functions return "
               "arrays, cannot run on a GPU and stop gradients")



# --------------------------------------------------------------------------------------
# Test colours and their layout as images
# --------------------------------------------------------------------------------------


def _test_colours(n: int, seed: int) -> np.ndarray:
    """``n`` sRGB colours (n, 3) float64 in [0, 1]: cube corners, grays, the knee, dark, saturated, random."""
    rng = np.random.default_rng(seed)
    corners = np.array(list(itertools.product((0.0, 1.0), repeat=3)))
    grays = np.linspace(0.0, 1.0, 11)[:, None].repeat(3, axis=1)
    knee = np.array([[_KNEE - 1e-4] * 3, [_KNEE] * 3, [_KNEE + 1e-4] * 3, [0.02, 0.04, 0.06]])
    dark = rng.random((n // 8, 3)) * 0.06
    # One channel strong, the others nearly off: some XYZ coordinate drops below (6/29)^3.
    saturated = rng.random((n // 8, 3)) * 0.08
    strong = rng.integers(0, 3, len(saturated))
    saturated[np.arange(len(saturated)), strong] = rng.uniform(0.3, 1.0, len(saturated))
    fixed = np.concatenate([corners, grays, knee, dark, saturated])
    assert n >= len(fixed) + 10, "ask for more colours"
    return np.concatenate([fixed, rng.random((n - len(fixed), 3))])


def _few_colours(n: int, seed: int) -> np.ndarray:
    """``n`` sRGB colours (n, 3): black, white, then random ones."""
    rng = np.random.default_rng(seed)
    return np.concatenate([np.zeros((1, 3)), np.ones((1, 3)), rng.random((n - 2, 3))])


def _to_image(colours: np.ndarray, shape: tuple[int, ...],
              dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """(P, 3) colours -> a channel-first tensor of ``shape`` = (..., 3, H, W) holding them in order."""
    *lead, three, h, w = shape
    assert three == 3 and int(np.prod(lead, dtype=int)) * h * w == len(colours)
    image = colours.reshape(*lead, h, w, 3)
    return torch.from_numpy(np.ascontiguousarray(np.moveaxis(image, -1, -3))).to(dtype)


def _from_image(image: torch.Tensor) -> np.ndarray:
    """A channel-first (..., 3, H, W) tensor -> its colours (P, 3) float64, in order."""
    array = image.detach().cpu().to(torch.float64).numpy()
    return np.moveaxis(array, -3, -1).reshape(-1, 3)


def _fmt(values: np.ndarray, digits: int = 3) -> str:
    return "(" + ", ".join(f"{float(v):.{digits}g}" for v in values) + ")"


# --------------------------------------------------------------------------------------
# The reference pieces and the typical mistakes, in NumPy (float64, colours (P, 3))
# --------------------------------------------------------------------------------------


def _decode(c: np.ndarray) -> np.ndarray:
    return np.where(c <= _KNEE, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _encode(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * np.abs(c) ** (1 / 2.4) - 0.055)


def _xyz(rgb: np.ndarray, decode: Callable[[np.ndarray], np.ndarray] = _decode,
         matrix: np.ndarray = _XYZ_FROM_RGB) -> np.ndarray:
    return decode(rgb) @ matrix.T


def _lab(xyz: np.ndarray, white: np.ndarray | None = _WHITE_D65, segment: str = "right",
         order: str = "Lab") -> np.ndarray:
    """Lab from XYZ (P, 3) with the mistakes switchable: ``white=None`` (no division);
    ``segment`` "right", "none" (cube root everywhere) or "no_offset" (7.787 t without
    + 16/116); ``order`` "Lab" or "Lba" (a and b swapped)."""
    t = xyz if white is None else xyz / white
    if segment == "none":
        f = np.cbrt(t)
    else:
        f = np.where(t > _DELTA3, np.cbrt(t), 7.787 * t + (16 / 116 if segment == "right" else 0.0))
    L = 116 * f[:, 1] - 16  # noqa: N806
    a = 500 * (f[:, 0] - f[:, 1])
    b = 200 * (f[:, 1] - f[:, 2])
    return np.stack((L, a, b) if order == "Lab" else (L, b, a), axis=1)


def _first_match(got: np.ndarray, mistakes: list[Mistake], atol: float) -> tuple[str, str] | None:
    """The (problem, hint) of the first mistake whose result ``got`` reproduces, if any."""
    def same(g: np.ndarray, v: np.ndarray) -> bool:
        return v.shape == g.shape and np.allclose(g, v, rtol=0.0, atol=atol)

    return first_mistake(got, mistakes, same)


def _expect_same_dtype(got: torch.Tensor, x: torch.Tensor, what: str) -> None:
    __tracebackhide__ = True
    expect_true(got.dtype == x.dtype, f"{what} changed the dtype: a {x.dtype} input should give a "
                f"{x.dtype} result", expected=x.dtype, got=got.dtype,
                hint="make constants with the input's dtype (torch.tensor(..., dtype=x.dtype) or M.to(x)), "
                     "and don't convert through NumPy")


# --------------------------------------------------------------------------------------
# Exercise 3.1: sRGB gamma decoding
# --------------------------------------------------------------------------------------

_SRGB_HINT = "torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4), on any shape"
_ELEMENTWISE = "the decoding is elementwise: the result has the shape of the input"

_SRGB_MISTAKES: list[tuple[Callable[[np.ndarray], np.ndarray], str, str]] = [
    (lambda c: c**2.2, "your function is the pure power law c ** 2.2",
     "c ** 2.2 only approximates sRGB. The standard curve has two pieces: c / 12.92 for c <= 0.04045, "
     "((c + 0.055) / 1.055) ** 2.4 above"),
    (lambda c: c**2.4, "your function is the pure power law c ** 2.4",
     "sRGB shifts c first, ((c + 0.055) / 1.055) ** 2.4, and uses the line c / 12.92 for c <= 0.04045"),
    (lambda c: ((c + 0.055) / 1.055) ** 2.4,
     "your function uses ((c + 0.055) / 1.055) ** 2.4 everywhere, so the darkest values are off",
     "did you forget the linear segment? For c <= 0.04045 sRGB decodes with c / 12.92"),
    (lambda c: np.where(c <= _KNEE, ((c + 0.055) / 1.055) ** 2.4, c / 12.92),
     "your two pieces are swapped",
     "the linear piece c / 12.92 is the dark end (c <= 0.04045); the power is for c above 0.04045"),
    (lambda c: np.where(c <= 0.0031308, c / 12.92, ((c + 0.055) / 1.055) ** 2.4),
     "your function switches pieces at c = 0.0031308, the threshold of the encoding",
     "the decoding switches at c = 0.04045 (0.0031308 is where the *encoding* switches, in linear units)"),
    (_encode, "your function applies the sRGB encoding (linear -> sRGB), which brightens",
     "decoding goes the other way and darkens: mid-gray 0.5 decodes to about 0.214"),
    (lambda c: c ** (1 / 2.2), "your function brightens (c ** (1/2.2)): that is the encoding",
     "decoding darkens: mid-gray 0.5 decodes to about 0.214"),
]


@exercise("3.1", "sRGB gamma decoding", hint=_SRGB_HINT)
def srgb_to_linear(student_fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check ``student_fn(rgb)``: sRGB values in [0, 1] (any shape) -> linear light, elementwise."""
    __tracebackhide__ = True
    what = "srgb_to_linear(rgb)"
    rng = np.random.default_rng(31)
    values = np.concatenate([
        np.linspace(0.0, 1.0, 201),
        [_KNEE - 1e-4, _KNEE, _KNEE + 1e-4, 0.0031308, 0.002, 0.01, 0.02, 0.03],
        rng.random(191) * 0.06,  # the dark end, where the linear segment is
        rng.random(200),
    ])
    x = torch.from_numpy(values).reshape(2, 3, 10, 10)
    got = expect_tensor(student_fn(x.clone()), what, hint=_NUMPY_HINT)
    expect_shape(got, (2, 3, 10, 10), f"{what} for rgb of shape (2, 3, 10, 10)", hint=_ELEMENTWISE)
    _expect_same_dtype(got, x, what)
    expect_finite(got, what)
    g = got.detach().cpu().numpy().reshape(-1)
    expected = _decode(values)
    close = np.isclose(g, expected, rtol=0.0, atol=_LINEAR_ATOL)
    if not close.all():
        worst = int(np.argmax(np.abs(g - expected)))
        example = {"expected": f"{expected[worst]:.5g} for c = {values[worst]:.5g}", "got": f"{g[worst]:.5g}"}
        mistakes = [(lambda f=f: f(values), problem, hint) for f, problem, hint in _SRGB_MISTAKES]
        match = _first_match(g, mistakes, atol=_MISTAKE_ATOL["linear"])
        if match is not None:
            raise ExerciseFailed(match[0], hint=match[1], **example)
        dark = values <= _KNEE
        count = f"{int((~close).sum())} of {len(values)} values"
        if close[~dark].all():
            raise ExerciseFailed(f"your values are off for dark inputs only (c <= 0.04045; {count})",
                                 hint="the linear segment is c / 12.92", **example)
        if close[dark].all():
            raise ExerciseFailed(f"your values are off for inputs above 0.04045 ({count})",
                                 hint="above the knee: ((c + 0.055) / 1.055) ** 2.4", **example)
        raise ExerciseFailed(f"your values are off ({count})", **example)

    x32 = torch.rand(3, 4, 5, dtype=torch.float32)
    got = expect_tensor(student_fn(x32.clone()), f"{what} for a float32 (3, 4, 5) tensor", hint=_NUMPY_HINT)
    expect_shape(got, (3, 4, 5), f"{what} for rgb of shape (3, 4, 5)", hint=_ELEMENTWISE)
    _expect_same_dtype(got, x32, what)

    x_grad = torch.linspace(0.0, 1.0, 11, dtype=torch.float64, requires_grad=True)
    try:
        got = student_fn(x_grad)
    except RuntimeError as error:
        if "numpy" not in str(error).lower():
            raise
        raise ExerciseFailed(f"{what} fails on a tensor that requires gradients: it goes through NumPy, "
                             "and no gradient can flow through NumPy", hint=_NUMPY_HINT) from error
    got = expect_tensor(got, what, hint=_NUMPY_HINT)
    expect_true(got.requires_grad, f"{what} does not pass gradients on (its result has no grad_fn)",
                hint="don't detach; " + _NUMPY_HINT)


# --------------------------------------------------------------------------------------
# Exercises 3.2 and 3.3: XYZ -> Lab, and sRGB -> Lab the whole way
# --------------------------------------------------------------------------------------

_XYZ_HINT = ("colours are on axis -3: X, Y, Z = xyz.unbind(-3); divide by the white, apply f with "
             "torch.where, and return torch.stack((L, a, b), dim=-3)")
_RGB_HINT = ("decode the gamma (srgb_to_linear), multiply every pixel's colour by the matrix on axis -3 "
             "(torch.einsum('ij,...jhw->...ihw', M.to(rgb), linear)), then xyz_to_lab")


def _lab_mistakes(xyz: np.ndarray) -> list[Mistake]:
    """The typical mistakes of XYZ -> Lab."""
    return [
        (lambda: _lab(xyz, segment="none"),
         "your L, a and b are off for dark and strongly saturated colours (black gets L = -16): "
         "you took the cube root for every t",
         "did you forget the linear segment of f(t)? Below (6/29)^3 = 0.008856, f(t) = 7.787 t + 16/116 "
         "(the cube root is infinitely steep at 0)"),
        (lambda: _lab(xyz, segment="no_offset"),
         "your L, a and b are off for dark and strongly saturated colours: the linear segment of f(t) "
         "lacks its offset",
         "below (6/29)^3, f(t) = 7.787 t + 16/116, so that the two pieces of f meet"),
        (lambda: _lab(xyz, white=None),
         "your a and b are off, and grays are not neutral (a, b != 0): you did not divide by the white",
         f"divide X, Y, Z by the D65 white {_WHITE_TEXT} before applying f"),
        (lambda: _lab(xyz, white=_WHITE_D50),
         "your a and b are off, and grays are not neutral (a, b != 0): you used the D50 white",
         f"sRGB's white is D65: {_WHITE_TEXT}"),
        (lambda: _lab(xyz, order="Lba"), "your a and b channels are swapped",
         "a = 500 (f(X/Xn) - f(Y/Yn)) is the green-red axis (second channel); "
         "b = 200 (f(Y/Yn) - f(Z/Zn)) the blue-yellow axis (third channel)"),
        (lambda: _lab(xyz) * np.array([1.0, -1.0, 1.0]), "your a channel has the wrong sign",
         "a = 500 (f(X/Xn) - f(Y/Yn)): positive for red, negative for green"),
        (lambda: _lab(xyz) * np.array([1.0, 1.0, -1.0]), "your b channel has the wrong sign",
         "b = 200 (f(Y/Yn) - f(Z/Zn)): positive for yellow, negative for blue"),
        (lambda: _lab(xyz) + np.array([16.0, 0.0, 0.0]), "your L is 16 too high: black should have L = 0",
         "L = 116 f(Y/Yn) - 16"),
    ]


def _rgb_mistakes(rgb: np.ndarray) -> list[Mistake]:
    """The typical mistakes of sRGB -> Lab (those of XYZ -> Lab included)."""
    return [
        (lambda: _lab(_xyz(rgb, decode=lambda c: c)),
         "your Lab is off for every colour but black and white: it looks like you skipped the gamma decoding",
         "decode first (linear = srgb_to_linear(rgb)): the matrix works on linear light"),
        (lambda: _lab(_xyz(rgb, decode=lambda c: c**2.2)),
         "your Lab is off, most for dark colours: you decoded with the pure power c ** 2.2",
         "use the sRGB curve of exercise 3.1 (with its linear segment below 0.04045)"),
        (lambda: _lab(_xyz(rgb, matrix=_XYZ_FROM_RGB.T)),
         "your L, a and b are off: the matrix is applied transposed",
         "row i of the matrix gives coordinate i, X = 0.412453 R + 0.357580 G + 0.180423 B: in "
         "torch.einsum('ij,...jhw->...ihw', M, linear) the sum runs over j"),
        *_lab_mistakes(_xyz(rgb)),
    ]


def _diagnose_lab(got: np.ndarray, expected: np.ndarray, rgb: np.ndarray, what: str,
                  example: Callable[[int], dict[str, str]]) -> ExerciseFailed:
    """A failure that says which Lab channels are off and for which colours."""
    error = np.abs(got - expected)
    error[np.isnan(error)] = np.inf
    bad = error > _LAB_ATOL  # (P, 3)
    rows = bad.any(axis=1)
    names = [name for name, off in zip(("L", "a", "b"), bad.any(axis=0), strict=True) if off]
    channels = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    noun = "channel is" if len(names) == 1 else "channels are"
    count = f"{int(rows.sum())} of {len(rows)} colours"
    knee = (_xyz(rgb) / _WHITE_D65 <= _DELTA3).any(axis=1)  # colours that use the linear segment of f
    grays = np.ptp(rgb, axis=1) == 0
    hint = None
    if rows[knee].any() and not rows[~knee].any():
        problem = (f"your {channels} {noun} off for {count}, all of them dark or strongly saturated "
                   "(X/Xn, Y/Yn or Z/Zn below (6/29)^3 = 0.008856)")
        hint = "did you forget the linear segment of f(t)? Below (6/29)^3, f(t) = 7.787 t + 16/116"
    elif rows[~knee].any() and not rows[knee].any():
        problem = (f"your {channels} {noun} off for {count}, none of them dark: the cube-root part of f "
                   "or the formula of a channel is off")
    else:
        problem = f"your {channels} {noun} off for {count}"
    if "L" in names and hint is None:
        hint = "L = 116 f(Y/Yn) - 16: black has L = 0, white L = 100"
    if grays.any() and bad[grays][:, 1:].any():
        hint = ("grays (R = G = B) must have a = b = 0: with the D65 white, f(X/Xn) = f(Y/Yn) = f(Z/Zn) "
                "for them; check the white and the formulas of a and b")
    worst = int(np.argmax(error.max(axis=1)))
    return ExerciseFailed(f"{what}: {problem}", hint=hint, **example(worst))


def _check_lab_function(student_fn: Callable[[torch.Tensor], torch.Tensor], what: str, hint: str,
                        to_input: Callable[[np.ndarray], np.ndarray],
                        reference: Callable[[np.ndarray], np.ndarray],
                        mistakes: Callable[[np.ndarray], list[Mistake]], seed: int) -> None:
    """Shared by 3.2 and 3.3. ``to_input`` maps sRGB colours (P, 3) to the colours the function
    takes, ``reference`` to the Lab it should return, ``mistakes`` to the typical mistakes."""
    __tracebackhide__ = True
    # 1. A batch (2, 3, 10, 30) of 600 colours in float64.
    rgb = _test_colours(600, seed)
    inputs = to_input(rgb)
    x = _to_image(inputs, (2, 3, 10, 30))
    got = expect_tensor(student_fn(x.clone()), what, hint=_NUMPY_HINT)
    expect_shape(got, (2, 3, 10, 30), f"{what} for a batch of shape (2, 3, 10, 30)", hint=hint)
    _expect_same_dtype(got, x, what)
    expect_finite(got, what, hint="t ** (1/3) is NaN for t < 0: clamp t inside the cube-root branch")
    lab = _from_image(got)
    expected = reference(rgb)

    def example(i: int) -> dict[str, str]:
        given = "" if inputs is rgb else f"XYZ {_fmt(inputs[i], 4)}, "
        return {"expected": f"Lab {_fmt(expected[i], 4)} for {given}sRGB {_fmt(rgb[i])}",
                "got": f"Lab {_fmt(lab[i], 4)}"}

    if not np.allclose(lab, expected, rtol=0.0, atol=_LAB_ATOL):
        match = _first_match(lab, mistakes(rgb), atol=_MISTAKE_ATOL["lab"])
        if match is not None:
            worst = int(np.argmax(np.abs(lab - expected).max(axis=1)))
            raise ExerciseFailed(f"{what}: {match[0]}", hint=match[1], **example(worst))
        raise _diagnose_lab(lab, expected, rgb, what, example)
    _expect_finite_gradient(student_fn, to_input, what)

    # 2. One image (3, 6, 3) in float32: the colour axis is counted from the end. W = 3 on
    #    purpose, so that taking the colours from the last axis runs but gives wrong values.
    rgb = _few_colours(18, seed + 1)
    x = _to_image(to_input(rgb), (3, 6, 3), dtype=torch.float32)
    try:
        got = student_fn(x.clone())
    except RuntimeError as error:
        if "scalar type" not in str(error) and "dtype" not in str(error):
            raise
        raise ExerciseFailed(f"{what} fails on a float32 image: {str(error).splitlines()[0]}",
                             hint="make constant tensors match the input: M.to(x), or "
                                  "torch.tensor(..., dtype=x.dtype, device=x.device)") from error
    except (IndexError, ValueError) as error:
        raise ExerciseFailed(f"{what} works on a batch (N, 3, H, W) but fails on one image (3, H, W): "
                             f"{str(error).splitlines()[0]}", hint=hint) from error
    got = expect_tensor(got, f"{what} for a float32 (3, 6, 3) image", hint=_NUMPY_HINT)
    expect_shape(got, (3, 6, 3), f"{what} for one image of shape (3, 6, 3)",
                 hint="count the colour axis from the end (dim=-3): then (3, H, W) and (N, 3, H, W) "
                      "both work")
    _expect_same_dtype(got, x, what)
    expect_true(np.allclose(_from_image(got), reference(rgb), rtol=0.0, atol=_LAB_ATOL),
                f"{what} is right on a batch (N, 3, H, W) but wrong on one image (3, H, W) of width 3: "
                "it takes the colours from another axis",
                hint="the colour axis is -3 (channel-first, counted from the end), not 0, 1 or -1: "
                     "unbind(-3), torch.stack(..., dim=-3), torch.einsum('ij,...jhw->...ihw', M, x)")


_CLAMP_HINT = ("clamp t inside the cube-root branch, t.clamp(min=(6/29) ** 3) ** (1/3): torch.where "
               "computes both branches, and its backward multiplies the unused branch's gradient by 0; the "
               "cube root's gradient t^(-2/3) / 3 is inf at t = 0, and 0 · inf = NaN")


def _expect_finite_gradient(student_fn: Callable[[torch.Tensor], torch.Tensor],
                            to_input: Callable[[np.ndarray], np.ndarray], what: str) -> None:
    """The gradient of the Lab values with respect to the input must be finite, at pure black too.

    A conversion used inside a loss must back-propagate, and black pixels are common: an unclamped
    cube root gives NaN gradients at t = 0 even though its values are right.
    """
    __tracebackhide__ = True
    rgb = np.concatenate([np.zeros((1, 3)), _few_colours(6, 34)[1:], [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]])
    x = _to_image(to_input(rgb), (1, 3, 1, 8)).requires_grad_(True)
    got = student_fn(x.clone())
    if not isinstance(got, torch.Tensor) or not got.requires_grad:
        return  # values computed without a graph: nothing to say about gradients here
    (grad,) = torch.autograd.grad(got.sum(), x, allow_unused=True)
    if grad is None:
        return
    gradient = _from_image(grad.detach())  # (P, 3): d(L + a + b) / d(input) per colour
    rows = ~np.isfinite(gradient).all(axis=1)
    if not rows.any():
        return
    if rows[0] and not rows[1:].any():
        raise ExerciseFailed(f"{what}: the values are right, but the gradient is NaN at pure black "
                             "(t = X/Xn = Y/Yn = Z/Zn = 0): the cube root lacks its clamp, so one black "
                             "pixel would fill the network's gradients with NaN",
                             expected="a finite gradient", got=f"gradient {_fmt(gradient[0])} for black",
                             hint=_CLAMP_HINT)
    raise ExerciseFailed(f"{what}: the values are right, but the gradient with respect to the input is NaN "
                         f"or inf for {int(rows.sum())} of {len(rows)} colours (black among them: "
                         f"{bool(rows[0])}); an unclamped cube root or power gives these",
                         expected="a finite gradient", hint=_CLAMP_HINT)


@exercise("3.2", "XYZ to Lab", hint=_XYZ_HINT)
def xyz_to_lab(student_fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check ``student_fn(xyz)``: CIE XYZ (..., 3, H, W) -> Lab (D65), against ``skimage.color.xyz2lab``."""
    __tracebackhide__ = True
    from skimage import color as skcolor

    _check_lab_function(
        student_fn, "xyz_to_lab(xyz)", _XYZ_HINT,
        to_input=lambda rgb: skcolor.rgb2xyz(rgb[None])[0],
        reference=lambda rgb: skcolor.xyz2lab(skcolor.rgb2xyz(rgb[None]))[0],
        mistakes=lambda rgb: _lab_mistakes(_xyz(rgb)),
        seed=32,
    )


@exercise("3.3", "sRGB to Lab", hint=_RGB_HINT)
def rgb_to_lab(student_fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Check ``student_fn(rgb)``: sRGB (..., 3, H, W) in [0, 1] -> Lab, against ``skimage.color.rgb2lab``."""
    __tracebackhide__ = True
    from skimage import color as skcolor

    _check_lab_function(
        student_fn, "rgb_to_lab(rgb)", _RGB_HINT,
        to_input=lambda rgb: rgb,
        reference=lambda rgb: skcolor.rgb2lab(rgb[None])[0],
        mistakes=_rgb_mistakes,
        seed=33,
    )


# --------------------------------------------------------------------------------------
# Exercise 3.4: the normalisation the networks see
# --------------------------------------------------------------------------------------

_NORM_HINT = "L_n = lab[:, :1] / 50 - 1, shape (N, 1, H, W); ab_n = lab[:, 1:] / 110, shape (N, 2, H, W)"


@exercise("3.4", "normalising Lab for the network", hint=_NORM_HINT)
def normalize_lab(student_fn: Callable[[torch.Tensor], tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Check ``student_fn(lab)``: Lab (N, 3, H, W) -> (L_n = L / 50 - 1, ab_n = ab / 110)."""
    __tracebackhide__ = True
    from skimage import color as skcolor

    what = "normalize_lab(lab)"
    rgb = _few_colours(2 * 4 * 5, 34)  # black first, then white
    lab = _to_image(skcolor.rgb2lab(rgb[None])[0], (2, 3, 4, 5), dtype=torch.float32)
    original = lab.clone()
    result = student_fn(lab)
    expect_true(torch.equal(lab, original), f"{what} changed its input in place",
                hint="make new tensors (lab[:, :1] / 50 - 1) instead of dividing slices of lab in place (/=)")
    expect_true(isinstance(result, (tuple, list)) and len(result) == 2,
                f"{what} should return two tensors, (L_n, ab_n)", got=type(result).__name__,
                hint="return L_n, ab_n")
    L_n = expect_tensor(result[0], "L_n (the first result)", hint=_NORM_HINT)  # noqa: N806
    ab_n = expect_tensor(result[1], "ab_n (the second result)", hint=_NORM_HINT)
    if L_n.shape == (2, 2, 4, 5) and ab_n.shape == (2, 1, 4, 5):
        raise ExerciseFailed(f"{what} returned (ab_n, L_n): L_n comes first", hint="return L_n, ab_n")
    if L_n.dim() == 4 and L_n.shape[-1] == 1 and L_n.shape[1] != 1:
        raise ExerciseFailed("L_n takes its channel from the last axis", expected="(2, 1, 4, 5)",
                             got=str(tuple(L_n.shape)), hint="images are channel-first, (N, 3, H, W): "
                             "L is lab[:, :1], a and b are lab[:, 1:]")
    expect_shape(L_n, (2, 1, 4, 5), "L_n for Lab of shape (2, 3, 4, 5)",
                 hint="lab[:, :1] keeps the channel axis (lab[:, 0] drops it): the network takes "
                      "(N, 1, H, W)")
    expect_shape(ab_n, (2, 2, 4, 5), "ab_n for Lab of shape (2, 3, 4, 5)", hint=_NORM_HINT)

    L, ab = original[:, :1].double(), original[:, 1:].double()  # noqa: N806
    got_L, got_ab = L_n.detach().cpu().double(), ab_n.detach().cpu().double()  # noqa: N806

    def same(a: torch.Tensor, b: torch.Tensor) -> bool:
        return torch.allclose(a, b, rtol=0.0, atol=1e-4)

    ends = (f"L_n of black and white: expected (-1, 1), got ({float(got_L[0, 0, 0, 0]):.3g}, "
            f"{float(got_L[0, 0, 0, 1]):.3g})")
    if not same(got_L, L / L_SCALE - 1):
        if same(got_L, L / 100):
            raise ExerciseFailed(f"L_n is L / 100, in [0, 1]; {ends}",
                                 hint="use L / 50 - 1: centred on 0 and spanning [-1, 1], like the "
                                      "generator's tanh outputs")
        if same(got_L, L / L_SCALE):
            raise ExerciseFailed(f"L_n is L / 50, in [0, 2]; {ends}", hint="subtract 1: L_n = L / 50 - 1")
        raise ExerciseFailed(f"L_n is not L / 50 - 1; {ends}", hint=_NORM_HINT)
    if not same(got_ab, ab / AB_SCALE):
        for scale in (100.0, 127.0, 128.0):
            if same(got_ab, ab / scale):
                raise ExerciseFailed(f"ab_n is ab / {scale:g}",
                                     hint="the course divides by 110 (gancolor.color.AB_SCALE): "
                                          "sRGB colours have |a| and |b| below about 110")
        if same(got_ab, ab.flip(1) / AB_SCALE):
            raise ExerciseFailed("ab_n holds b first, then a",
                                 hint="keep Lab's order: ab_n = lab[:, 1:] / 110")
        if same(got_ab, ab / AB_SCALE - 1) or same(got_ab, (ab / AB_SCALE + 1) / 2):
            raise ExerciseFailed("ab_n is shifted: gray (a = b = 0) should stay at 0",
                                 hint="a and b are already centred on 0: only divide, ab_n = ab / 110")
        raise ExerciseFailed("ab_n is not ab / 110", hint=_NORM_HINT)
    _expect_same_dtype(L_n, lab, "L_n")
    _expect_same_dtype(ab_n, lab, "ab_n")
