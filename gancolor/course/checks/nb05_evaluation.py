"""Checks of notebook 05, evaluating colorization: colorfulness, a fair comparison, unbiased KID.

- 5.1 ``colorfulness(rgb, mask=None)`` is compared with :func:`gancolor.metrics.colorfulness` on
  seeded random images, among them a gray one, a flat color (only the mean term counts) and
  one whose opponent channels average to zero (only the spread term counts), with and without
  masks, and with an empty mask. A wrong answer is first matched against the typical
  mistakes: the 0-1 scale, no factor 0.3, the spread or mean of ``rg + yb`` instead of the root
  of the summed squares, the sample standard deviation, ``R + G / 2 - B``, the mask ignored or
  used to zero pixels that are still counted.
- 5.2 ``compare_methods(methods, images, ambiguous)`` gets methods that record what they are
  given, so the check sees whether every method ran on the same held-out images; its numbers
  are compared with :func:`gancolor.evaluate.score_images`, with messages for the infinite PSNR
  of an exact image, the NaN colorfulness of images without ambiguous pixels, a pooled PSNR,
  and scores computed against the wrong images.
- 5.3 ``mmd2_unbiased(x, y)`` is compared with the unbiased estimator on feature sets of
  different and of equal sizes. Both unbiased cross terms are accepted: the mean over every pair
  (x_i, y_j), and the mean over the pairs i != j (Gretton et al. 2012's U-statistic when m = n).
  The biased estimator, half-corrected versions, other kernels, a missing factor 2 and the square
  root are recognised.
- 5.4 ``inception_score(probabilities)``: :mod:`gancolor.course.checks.nb05_inception_score`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import torch

from gancolor.course.checks._framework import (
    ExerciseFailed,
    describe,
    exercise,
    expect_finite,
    expect_shape,
    expect_tensor,
    expect_true,
    tensors_close,
)
from gancolor.course.checks.nb05_inception_score import inception_score

__all__ = ["colorfulness", "compare_methods", "mmd2_unbiased", "inception_score"]


def _close(got: torch.Tensor, value: torch.Tensor, rtol: float = 1e-4, atol: float = 1e-4) -> bool:
    return tensors_close(got, value, atol=atol, rtol=rtol, equal_nan=True)


def _fmt(values: torch.Tensor) -> str:
    return "[" + ", ".join(f"{float(v):.4g}" for v in values.reshape(-1)) + "]"


# --------------------------------------------------------------------------------------
# Exercise 5.1: colorfulness
# --------------------------------------------------------------------------------------

_CF_HINT = ("on the 0-255 scale: rg = R - G, yb = 0.5 (R + G) - B; per image, the population mean and "
            "standard deviation of each over the (masked) pixels; M = sqrt(σ_rg² + σ_yb²) + "
            "0.3 sqrt(μ_rg² + μ_yb²)")


def _cf_variant(rgb: torch.Tensor, mask: torch.Tensor | None = None, *, scale: float = 255.0,
                factor: float = 0.3, spread: str = "root", centre: str = "root", ddof: int = 0,
                yb_form: str = "right", masking: str = "select") -> torch.Tensor:
    """Colorfulness (N,) of rgb (N, 3, H, W) in [0, 1] with switchable mistakes, in float64.

    ``spread``/``centre``: "root" sqrt(s_rg² + s_yb²) (right), "sum" s_rg + s_yb, "of_sum" the
    statistic of rg + yb. ``masking``: "select" (right), "ignore", "zero" (pixels outside the mask
    set to 0 but all pixels counted).
    """
    x = rgb.double() * scale
    red, green, blue = x.unbind(dim=1)
    rg = red - green
    yb = 0.5 * (red + green) - blue if yb_form == "right" else red + green / 2 - blue
    if mask is None or masking == "ignore":
        weights = torch.ones_like(rg)
    elif masking == "zero":
        rg, yb = rg * mask, yb * mask
        weights = torch.ones_like(rg)
    else:
        weights = mask.double()
    count = weights.sum(dim=(1, 2))

    def moments(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mean = (weights * v).sum(dim=(1, 2)) / count
        var = (weights * (v - mean[:, None, None]) ** 2).sum(dim=(1, 2)) / (count - ddof)
        return mean, var

    (m_rg, v_rg), (m_yb, v_yb), (m_sum, v_sum) = moments(rg), moments(yb), moments(rg + yb)
    sigma = {"root": torch.sqrt(v_rg + v_yb), "sum": v_rg.sqrt() + v_yb.sqrt(),
             "of_sum": v_sum.sqrt()}[spread]
    mu = {"root": torch.sqrt(m_rg**2 + m_yb**2), "sum": m_rg.abs() + m_yb.abs(),
          "of_sum": m_sum.abs()}[centre]
    return sigma + factor * mu


_CF_SPREAD = {"sum": "σ_rg + σ_yb", "of_sum": "the standard deviation of rg + yb"}
_CF_CENTRE = {"sum": "|μ_rg| + |μ_yb|", "of_sum": "the mean of rg + yb"}


def _cf_mistakes() -> list[tuple[dict, str, str]]:
    """(variant keywords, problem, hint) of the typical mistakes, most specific first."""
    mistakes: list[tuple[dict, str, str]] = [
        ({"scale": 1.0}, "your values are 255 times too small: you computed on the 0-1 scale",
         "multiply rgb by 255 first: Hasler and Süsstrunk's formula and its scale (about 33 'moderately', "
         "59 'quite', 82 'highly colorful') are for 8-bit values"),
        ({"factor": 1.0}, "the mean term has no factor 0.3",
         "M = sqrt(σ_rg² + σ_yb²) + 0.3 · sqrt(μ_rg² + μ_yb²): the spread of the colors counts more than "
         "their average tint"),
        ({"ddof": 1}, "you used the sample standard deviation (dividing by n - 1)",
         "the formula uses the population statistics: torch.std(..., correction=0) (or unbiased=False), "
         "or the mean of the squared deviations"),
        ({"ddof": 1, "masking": "ignore"}, "you ignored the mask and used the sample standard deviation",
         "compute the statistics over the masked pixels only, and divide by n, not n - 1"),
        ({"yb_form": "wrong"}, "your yb is R + G / 2 - B", "yb = 0.5 * (R + G) - B: the brackets matter"),
        ({"masking": "ignore"}, "with a mask your function returns the colorfulness of the whole image: the "
         "mask is ignored",
         "compute the means and standard deviations over the masked pixels only, e.g. with weights "
         "w = mask.float(): mean = (w * x).sum((1, 2)) / w.sum((1, 2))"),
        ({"masking": "zero"}, "you set the pixels outside the mask to 0 but still averaged over all pixels",
         "zeros are counted as (gray) pixels and pull the statistics toward gray: divide by the number of "
         "masked pixels, mask.sum((1, 2)), not by H * W"),
    ]
    for spread in ("root", "sum", "of_sum"):
        for centre in ("root", "sum", "of_sum"):
            if spread == centre == "root":
                continue
            parts = ([f"your spread term is {_CF_SPREAD[spread]}"] if spread != "root" else []) + \
                    ([f"your mean term uses {_CF_CENTRE[centre]}"] if centre != "root" else [])
            mistakes.append(({"spread": spread, "centre": centre}, " and ".join(parts),
                             "combine the two opponent channels as the root of the sum of squares: "
                             "sqrt(σ_rg² + σ_yb²) and sqrt(μ_rg² + μ_yb²)"))
    return mistakes


def _cf_images() -> tuple[torch.Tensor, torch.Tensor]:
    """Test images (8, 3, 12, 16) float64 in [0, 1] and masks (8, 12, 16) bool.

    0: a gray ramp (M = 0); 1: a flat color (σ = 0, only the mean term); 2: two colors mirrored
    about gray (μ = 0, only the spread term); 3-7: random colors of different saturation and tint.
    """
    n, h, w = 8, 12, 16
    rgb = torch.empty(n, 3, h, w, dtype=torch.float64)
    rgb[0] = torch.linspace(0, 1, h * w, dtype=torch.float64).view(1, h, w)
    rgb[1] = torch.tensor([0.8, 0.3, 0.2], dtype=torch.float64).view(3, 1, 1)
    offset = torch.tensor([0.3, -0.1, -0.25], dtype=torch.float64).view(3, 1, 1)
    checker = (torch.arange(h)[:, None] + torch.arange(w)[None, :]) % 2 == 0
    rgb[2] = torch.where(checker, 0.5 + offset, 0.5 - offset)
    for i, saturation in zip(range(3, n), (0.05, 0.2, 0.5, 0.9, 1.0), strict=True):
        tint = torch.rand(3, 1, 1, dtype=torch.float64)
        gray = torch.rand(1, h, w, dtype=torch.float64)
        rgb[i] = ((1 - saturation) * gray + saturation * (0.5 * tint + 0.5 * torch.rand(3, h, w,
                                                                                          dtype=torch.float64)))
    mask = torch.rand(n, h, w) < 0.4
    mask[1, :2] = True  # enough pixels everywhere
    mask[5] = True  # one full mask
    return rgb.clamp(0, 1), mask


def _cf_call(student_fn: Callable, rgb: torch.Tensor, mask: torch.Tensor | None, what: str) -> torch.Tensor:
    __tracebackhide__ = True
    given = rgb.clone()
    given_mask = None if mask is None else mask.clone()
    got = student_fn(given) if mask is None else student_fn(given, given_mask)
    expect_true(torch.equal(given, rgb) and (mask is None or torch.equal(given_mask, mask)),
                f"{what} changed its input in place",
                hint="don't write into rgb (rgb *= 255 or rgb.mul_(255) change the caller's images): "
                     "x = rgb * 255 makes a new tensor")
    got = expect_tensor(got, what, hint="return a tensor with one value per image")
    return expect_shape(got, (len(rgb),), what,
                        hint="one value per image: take the statistics over the pixels (dims 1 and 2 of "
                             "rg and yb, which are (N, H, W)), not over the whole batch")


def _cf_diagnose(got: torch.Tensor, rgb: torch.Tensor, mask: torch.Tensor | None, what: str) -> None:
    """Raise ExerciseFailed naming the mistake ``got`` reproduces, or the image where it is wrong."""
    __tracebackhide__ = True
    expected = _cf_variant(rgb, mask)
    example = {"expected": _fmt(expected), "got": _fmt(got)}
    for keywords, problem, hint in _cf_mistakes():
        if mask is None and "masking" in keywords:
            continue
        if _close(got, _cf_variant(rgb, mask, **keywords), rtol=1e-6, atol=1e-6):
            raise ExerciseFailed(f"{what}: {problem}", hint=hint, **example)
    wrong = ~torch.isclose(got.detach().cpu().double(), expected, rtol=1e-4, atol=1e-4)
    if mask is None:
        if wrong[0]:
            raise ExerciseFailed(f"{what}: a gray image should have colorfulness 0 (rg = yb = 0 everywhere)",
                                 expected="0", got=f"{float(got[0]):.4g}")
        if wrong[1] and not wrong[2]:
            raise ExerciseFailed(f"{what}: for a flat color (σ = 0, only the mean term counts) your value is "
                                 "off", expected=f"0.3 · sqrt(μ_rg² + μ_yb²) = {float(expected[1]):.4g}",
                                 got=f"{float(got[1]):.4g}")
        if wrong[2] and not wrong[1]:
            raise ExerciseFailed(f"{what}: for an image whose rg and yb average to 0 (only the spread term "
                                 "counts) your value is off",
                                 expected=f"sqrt(σ_rg² + σ_yb²) = {float(expected[2]):.4g}",
                                 got=f"{float(got[2]):.4g}")
    elif not wrong[5] and wrong.sum() > 1:  # image 5 has a full mask
        raise ExerciseFailed(f"{what}: your values are right where the mask covers the whole image "
                             "(image 5) and wrong where it does not",
                             hint="take the means and standard deviations over the masked pixels only, "
                                  "and divide by their number", **example)
    raise ExerciseFailed(f"{what} is not close to the reference for {int(wrong.sum())} of {len(got)} images",
                         **example)


@exercise("5.1", "colorfulness", hint=_CF_HINT)
def colorfulness(student_fn: Callable[..., torch.Tensor]) -> None:
    """Check ``student_fn(rgb, mask=None)``: Hasler-Süsstrunk colorfulness (N,) of rgb (N, 3, H, W)."""
    __tracebackhide__ = True
    rgb, mask = _cf_images()

    what = "colorfulness(rgb) for 8 images"
    got = _cf_call(student_fn, rgb, None, what)
    expect_finite(got, what, hint="without a mask every image has pixels: no NaN should appear")
    if not _close(got, _cf_variant(rgb)):
        _cf_diagnose(got, rgb, None, what)

    what = "colorfulness(rgb, mask) for 8 images and masks"
    got = _cf_call(student_fn, rgb, mask, what)
    if not _close(got, _cf_variant(rgb, mask)):
        _cf_diagnose(got, rgb, mask, what)

    empty = mask.clone()
    empty[3] = False
    what = "colorfulness(rgb, mask) where image 3 has an empty mask"
    got = _cf_call(student_fn, rgb, empty, what)
    expected = _cf_variant(rgb, empty)
    expect_true(bool(torch.isnan(got[3])),
                f"{what}: an image with no masked pixels has nothing to measure, so its colorfulness should "
                "be NaN (0 / 0)",
                expected="nan", got=f"{float(got[3]):.4g}",
                hint="don't return 0 there: when you average over images, a 0 would count as a gray object "
                     "and pull the mean down, while NaN is left out by torch.nanmean")
    keep = torch.arange(len(rgb)) != 3
    if not _close(got[keep], expected[keep]):
        raise ExerciseFailed(f"{what}: the other images changed", expected=_fmt(expected), got=_fmt(got))


# --------------------------------------------------------------------------------------
# Exercise 5.2: a fair comparison
# --------------------------------------------------------------------------------------

_FAIR_HINT = ("target = images.float() / 255; for every method: pred = method(images) on the same images; "
              "PSNR per image averaged over the finite ones; SSIM and colorfulness averaged per image; "
              "colorfulness with mask=ambiguous averaged with torch.nanmean")
_METRICS = ("psnr", "ssim", "colorfulness", "colorfulness_ambiguous")


class _Recorded:
    """A colorization method that records the images it is called with."""

    def __init__(self, name: str, fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
        self.name, self.fn, self.calls = name, fn, []

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        __tracebackhide__ = True
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8:
            kind = images.dtype if isinstance(images, torch.Tensor) else type(images).__name__
            raise ExerciseFailed(f"method {self.name!r} was given {kind} images",
                                 hint="pass the uint8 images as they are: a method takes what the dataset "
                                      "stores (and looks only at their lightness)")
        self.calls.append(images.detach().clone())
        return self.fn(images)


def _fair_data() -> tuple[torch.Tensor, torch.Tensor]:
    """6 smooth color images (6, 3, 16, 16) uint8 and their ambiguous masks: objects in 0-2, none in 3-5."""
    coarse = torch.rand(6, 3, 4, 4)
    images = torch.nn.functional.interpolate(coarse, size=(16, 16), mode="bilinear", align_corners=False)
    images = (images * 255).round().to(torch.uint8)
    ambiguous = torch.zeros(6, 16, 16, dtype=torch.bool)
    ambiguous[0, 3:9, 4:10] = True
    ambiguous[1, 8:14, 2:7] = True
    ambiguous[2, 1:6, 9:15] = True
    return images, ambiguous


def _fair_methods() -> dict[str, Callable[[torch.Tensor], torch.Tensor]]:
    from gancolor.evaluation.baseline_colorizers import MeanAB, gray_baseline

    sepia = MeanAB(ab=torch.tensor([6.0, 14.0], dtype=torch.float64))

    def lucky(images: torch.Tensor) -> torch.Tensor:  # exact on the first image, gray on the others
        out = gray_baseline(images)
        out[0] = images[0].float() / 255
        return out

    return {"gray": gray_baseline, "sepia": sepia, "lucky": lucky,
            "ground truth": lambda images: images.float() / 255}


def _number(value: object, what: str) -> float:
    __tracebackhide__ = True
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        return float(value)
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, np.ndarray) and value.size == 1:
        return float(value.reshape(()))
    raise ExerciseFailed(f"{what} should be a number", got=f"{type(value).__name__}: {describe(value)}",
                         hint="use float(tensor.mean()) to turn a mean into a number")


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= 1e-4 + 1e-4 * abs(b)


def _check_calls(recorded: Mapping[str, _Recorded], images: torch.Tensor) -> None:
    __tracebackhide__ = True
    fairness = "a fair comparison runs every method on exactly the same held-out images"
    for name, method in recorded.items():
        expect_true(method.calls, f"method {name!r} was never called", hint=fairness)
        for given in method.calls:
            if given.shape != images.shape:
                raise ExerciseFailed(f"method {name!r} was given {len(given)} images, but the held-out set "
                                     f"has {len(images)}", expected=tuple(images.shape),
                                     got=tuple(given.shape),
                                     hint=fairness + ": no subsets (and no other images)")
            if not torch.equal(given, images):
                rows = given.flatten(1).sort(dim=0).values
                shuffled = torch.equal(rows, images.flatten(1).sort(dim=0).values)
                problem = "in another order" if shuffled else "other than the held-out images you were given"
                raise ExerciseFailed(f"method {name!r} was given images {problem}",
                                     hint=fairness + ", in their order, so that each prediction is compared "
                                          "with its own ground truth (and never the training set: use the "
                                          "`images` argument, not a global variable)")


def _psnr_failure(name: str, got: float, expected: float, pred: torch.Tensor, target: torch.Tensor
                  ) -> ExerciseFailed:
    from gancolor.metrics import psnr

    values = psnr(pred, target)
    finite = values[torch.isfinite(values)]
    pooled_mse = float(((pred.double() - target.double()) ** 2).mean())
    pooled = 10 * math.log10(1 / pooled_mse) if pooled_mse > 0 else math.inf
    example = {"expected": f"{expected:.4g}", "got": f"{got:.4g}"}
    if math.isinf(got) and not math.isinf(expected) and not len(finite) < len(values):
        return ExerciseFailed(
            f"the PSNR of {name!r} is inf although none of its images is exact: did you compare its "
            "predictions with themselves, or with another method's, instead of the ground truth?", **example,
            hint="every method is compared with the same target, the ground truth images.float() / 255")
    if math.isinf(got) and not math.isinf(expected):
        return ExerciseFailed(
            f"the mean PSNR of {name!r} is inf: one of its images is exact (MSE 0, PSNR +inf), and a plain "
            "mean is then inf whatever the other images", **example,
            hint="average the finite per-image PSNRs: values[torch.isfinite(values)].mean()")
    if math.isnan(got) and math.isinf(expected):
        return ExerciseFailed(
            f"the PSNR of {name!r} is NaN: every one of its images is exact, so no PSNR is finite and the "
            "mean of the finite ones is the mean of nothing", **example,
            hint="report inf (a perfect score) when no PSNR is finite")
    if _same(got, pooled):
        return ExerciseFailed(f"the PSNR of {name!r} is computed from the error pooled over all images",
                              **example,
                              hint="compute PSNR per image (gancolor.metrics.psnr) and average those")
    capped, median = float(values.clamp(max=100).mean()), float(values.median())
    if len(finite) and (_same(got, capped) or _same(got, median)):
        return ExerciseFailed(f"the PSNR of {name!r} caps infinite values at 100 dB or takes the median",
                              **example, hint="a sensible convention too, but the course's table averages "
                                              "the finite PSNRs: values[torch.isfinite(values)].mean()")
    return ExerciseFailed(f"the PSNR of {name!r} is not the mean of its finite per-image PSNRs against the "
                          "ground truth (images / 255)", **example)


@exercise("5.2", "a fair comparison", hint=_FAIR_HINT)
def compare_methods(student_fn: Callable[..., Mapping[str, Mapping[str, float]]]) -> None:
    """Check ``student_fn(methods, images, ambiguous) -> {name: {metric: value}}``."""
    __tracebackhide__ = True
    from gancolor.evaluation.scores import score_images
    from gancolor.metrics import colorfulness as reference_colorfulness
    from gancolor.metrics import ssim

    images, ambiguous = _fair_data()
    recorded = {name: _Recorded(name, fn) for name, fn in _fair_methods().items()}
    given_images, given_ambiguous = images.clone(), ambiguous.clone()
    result = student_fn(dict(recorded), given_images, given_ambiguous)
    expect_true(torch.equal(given_images, images) and torch.equal(given_ambiguous, ambiguous),
                "compare_methods changed the images or the mask it was given",
                hint="don't modify the held-out images in place: the next method must see them unchanged")
    expect_true(isinstance(result, Mapping), "compare_methods should return a dict {method name: scores}",
                got=f"{type(result).__name__}: {describe(result)}")
    missing, extra = set(recorded) - set(result), set(result) - set(recorded)
    expect_true(not missing and not extra, "the result should have one entry per method, under its name",
                expected=sorted(recorded), got=sorted(map(str, result)))
    _check_calls(recorded, images)

    target = images.float() / 255
    for name, fn in _fair_methods().items():
        pred = fn(images)
        expected = score_images(pred, target, ambiguous)
        scores = result[name]
        expect_true(isinstance(scores, Mapping), f"the scores of {name!r} should be a dict {{metric: value}}",
                    got=f"{type(scores).__name__}: {describe(scores)}")
        absent = [key for key in _METRICS if key not in scores]
        expect_true(not absent, f"the scores of {name!r} lack {', '.join(absent)}", expected=list(_METRICS),
                    got=sorted(map(str, scores)))
        got = {key: _number(scores[key], f"the {key} of {name!r}") for key in _METRICS}

        if not _same(got["psnr"], expected["psnr"]):
            raise _psnr_failure(name, got["psnr"], expected["psnr"], pred, target)
        if not _same(got["ssim"], expected["ssim"]):
            against_gray = float(ssim(pred, _fair_methods()["gray"](images)).mean())
            problem = (f"the SSIM of {name!r} compares it with the gray input, not with the ground truth"
                       if _same(got["ssim"], against_gray) else
                       f"the SSIM of {name!r} is not the mean per-image SSIM against the ground truth")
            raise ExerciseFailed(problem, expected=f"{expected['ssim']:.4g}", got=f"{got['ssim']:.4g}",
                                 hint="ssim(pred, target).mean() with target = images.float() / 255")
        if not _same(got["colorfulness"], expected["colorfulness"]):
            of_truth = float(reference_colorfulness(target).mean())
            problem = (f"the colorfulness of {name!r} is that of the ground truth, not of its predictions"
                       if _same(got["colorfulness"], of_truth) else
                       f"the colorfulness of {name!r} is not the mean colorfulness of its predictions")
            raise ExerciseFailed(problem, expected=f"{expected['colorfulness']:.4g}",
                                 got=f"{got['colorfulness']:.4g}", hint="colorfulness(pred).mean()")
        if not _same(got["colorfulness_ambiguous"], expected["colorfulness_ambiguous"]):
            per_image = reference_colorfulness(pred, mask=ambiguous)
            value, want = got["colorfulness_ambiguous"], expected["colorfulness_ambiguous"]
            example = {"expected": f"{want:.4g}", "got": f"{value:.4g}"}
            if math.isnan(value):
                raise ExerciseFailed(
                    f"the colorfulness of {name!r} on ambiguous objects is NaN: images without ambiguous "
                    "pixels (here 3 of 6, like the photo crops) have nothing to measure and give NaN, and a "
                    "plain mean passes the NaN on", **example,
                    hint="average over the images that have ambiguous pixels: torch.nanmean(values)")
            if _same(value, float(per_image.nan_to_num(0.0).mean())):
                raise ExerciseFailed(
                    f"the colorfulness of {name!r} on ambiguous objects counts the images without any as 0",
                    **example, hint="leave those images out (torch.nanmean): a 0 counts as a gray object and "
                                    "pulls the mean down")
            whole = float(reference_colorfulness(pred).mean())
            if _same(value, expected["colorfulness"]) or _same(value, whole):
                raise ExerciseFailed(f"the colorfulness of {name!r} on ambiguous objects ignores the mask",
                                     **example, hint="colorfulness(pred, mask=ambiguous)")
            raise ExerciseFailed(f"the colorfulness of {name!r} on ambiguous objects is not the mean over "
                                 "the images that have some", **example,
                                 hint="torch.nanmean(colorfulness(pred, mask=ambiguous))")


# --------------------------------------------------------------------------------------
# Exercise 5.3: the unbiased MMD² of KID
# --------------------------------------------------------------------------------------

_MMD_HINT = ("k(a, b) = (a·b / D + 1)³ for all pairs at once: (x @ y.T / D + 1) ** 3; the two within-set "
             "sums leave out the diagonal (i = j) and divide by m(m - 1) and n(n - 1); the cross sum keeps "
             "every pair and divides by m n")


def _kernel(a: torch.Tensor, b: torch.Tensor, degree: int = 3, scaled: bool = True) -> torch.Tensor:
    return (a @ b.T / (a.shape[1] if scaled else 1.0) + 1.0) ** degree


def _mmd_variant(x: torch.Tensor, y: torch.Tensor, *, within: str = "unbiased", degree: int = 3,
                 scaled: bool = True, cross: str = "all", factor: float = 2.0) -> torch.Tensor:
    """MMD² with switchable mistakes. ``within``: "unbiased" (right), "biased" (diagonal kept, / m²),
    "keep_diagonal" (diagonal kept, / m(m-1)), "drop_diagonal_m2" (diagonal dropped, / m²).
    ``cross``: "all" (right: every pair, / m n), "off_diagonal" (also right: the pairs i != j over
    their number m n - min(m, n); for m = n, m(m - 1), the U-statistic of Gretton et al. 2012) or
    "off_diagonal_mn" (pairs i = j dropped, / m n: biased)."""
    m, n = len(x), len(y)
    k_xx, k_yy, k_xy = (_kernel(a, b, degree, scaled) for a, b in ((x, x), (y, y), (x, y)))

    def within_term(k: torch.Tensor, size: int) -> torch.Tensor:
        off = k.sum() - k.diagonal().sum()
        return {"unbiased": off / (size * (size - 1)), "biased": k.sum() / size**2,
                "keep_diagonal": k.sum() / (size * (size - 1)), "drop_diagonal_m2": off / size**2}[within]

    off = k_xy.sum() - k_xy.diagonal().sum()
    cross_term = {"all": k_xy.sum() / (m * n), "off_diagonal": off / (m * n - min(m, n)),
                  "off_diagonal_mn": off / (m * n)}[cross]
    return within_term(k_xx, m) + within_term(k_yy, n) - factor * cross_term


_MMD_MISTAKES: list[tuple[dict, str, str]] = [
    ({"within": "biased"},
     "this is the biased estimator: the within-set sums include k(x_i, x_i) and divide by m²",
     "leave out the diagonal (i = j: each point compared with itself) and divide by m(m - 1): "
     "k.sum() - k.diagonal().sum()"),
    ({"within": "keep_diagonal"}, "the within-set sums include the diagonal k(x_i, x_i)",
     "subtract k.diagonal().sum(): a point compared with itself says nothing about the distribution, and "
     "keeping it is what makes the estimate biased"),
    ({"within": "drop_diagonal_m2"}, "the within-set sums leave out the diagonal but divide by m²",
     "there are m(m - 1) pairs i != j: divide by that"),
    ({"scaled": False}, "your kernel is (a·b + 1)³, without dividing by the feature dimension D",
     "k(a, b) = (a·b / D + 1)³ with D = x.shape[1]"),
    ({"degree": 2}, "your kernel has degree 2", "KID's kernel is cubic: (a·b / D + 1) ** 3"),
    ({"factor": 1.0}, "the cross term lacks its factor 2", "MMD² = E k(x, x') + E k(y, y') - 2 E k(x, y)"),
    ({"within": "biased", "scaled": False},
     "this is the biased estimator, and the kernel lacks the division by D",
     "k(a, b) = (a·b / D + 1)³; leave out the diagonal and divide by m(m - 1)"),
    ({"cross": "off_diagonal_mn"}, "the cross term leaves out the pairs i = j but still divides by m n",
     "divide by the number of pairs you keep: k_xy.mean() for every pair (x_i, y_j), or, leaving out i = j "
     "as in Gretton et al.'s U-statistic, by m n - min(m, n)"),
]

# Two unbiased cross terms: every pair (x_i, y_j), or the pairs i != j (Gretton et al. 2012's
# U-statistic for m = n): x and y are independent, so every pair has the same expectation E k(x, y).
_CROSS_TERMS = ("all", "off_diagonal")


def _mmd_close(got: torch.Tensor, x: torch.Tensor, y: torch.Tensor, **keywords: object) -> bool:
    """``got`` is the MMD² variant ``keywords`` with either unbiased cross term (unless one is given)."""
    crosses = (keywords.pop("cross"),) if "cross" in keywords else _CROSS_TERMS
    return any(_close(got, _mmd_variant(x, y, cross=c, **keywords), rtol=1e-6, atol=1e-9)  # type: ignore[arg-type]
               for c in crosses)


def _call_mmd(student_fn: Callable, x: torch.Tensor, y: torch.Tensor, what: str) -> torch.Tensor:
    __tracebackhide__ = True
    given_x, given_y = x.clone(), y.clone()
    got = student_fn(given_x, given_y)
    expect_true(torch.equal(given_x, x) and torch.equal(given_y, y), f"{what} changed its inputs in place")
    if isinstance(got, (int, float)) and not isinstance(got, bool):
        got = torch.tensor(float(got), dtype=torch.float64)
    got = expect_tensor(got, what, hint="return a tensor (a 0-d tensor holding the number)")
    expect_true(got.numel() == 1, f"{what} should be a single number", expected="a tensor with one element",
                got=describe(got), hint="sum over all pairs: MMD² is one number for the two sets")
    return expect_finite(got.reshape(()), what)


@exercise("5.3", "unbiased MMD² (KID)", hint=_MMD_HINT)
def mmd2_unbiased(student_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """Check ``student_fn(x, y)``: x (m, D), y (n, D) float64 -> the unbiased MMD² with KID's kernel."""
    __tracebackhide__ = True
    cases = [(torch.randn(12, 5, dtype=torch.float64), torch.randn(9, 5, dtype=torch.float64) * 1.3 + 0.4,
              "mmd2_unbiased(x, y) for x (12, 5) and y (9, 5)"),
             (torch.randn(10, 5, dtype=torch.float64), torch.randn(10, 5, dtype=torch.float64),
              "mmd2_unbiased(x, y) for x and y of the same size (10, 5)")]
    for x, y, what in cases:
        got = _call_mmd(student_fn, x, y, what)
        if _mmd_close(got, x, y):
            continue
        expected = _mmd_variant(x, y)
        example = {"expected": f"{float(expected):.6g}", "got": f"{float(got):.6g}"}
        for keywords, problem, hint in _MMD_MISTAKES:
            if _mmd_close(got, x, y, **keywords):
                raise ExerciseFailed(f"{what}: {problem}", hint=hint, **example)
        if any(_close(got, _mmd_variant(x, y, cross=c).clamp(min=0).sqrt(), rtol=1e-6, atol=1e-9)
               for c in _CROSS_TERMS):
            raise ExerciseFailed(f"{what}: you returned the square root, MMD", hint="KID is MMD² itself",
                                 **example)
        if any(_close(got, -_mmd_variant(x, y, cross=c), rtol=1e-6, atol=1e-9) for c in _CROSS_TERMS):
            raise ExerciseFailed(f"{what}: the sign is flipped", hint="MMD² = within x + within y - 2 cross",
                                 **example)
        raise ExerciseFailed(f"{what} is not the unbiased MMD²", **example)
