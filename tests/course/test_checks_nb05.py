"""The checks of notebook 05 (evaluating colorization) both ways: they pass on the reference, let the
student's stub raise NotImplementedError, and fail on typical mistakes with a message that names
the mistake."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import pytest
import torch
from exercise_asserts import fails, passes

from gancolor.course import checks
from gancolor.course.checks import ExerciseFailed
from gancolor.evaluation.scores import score_images
from gancolor.metrics import colorfulness as package_colorfulness
from gancolor.metrics import psnr, ssim


def stub(*args: object) -> None:
    raise NotImplementedError("Exercise 5.x: not done yet")




# --------------------------------------------------------------------------------------
# 5.1 colorfulness
# --------------------------------------------------------------------------------------


def make_colorfulness(scale: float = 255.0, factor: float = 0.3, combine: str = "root", correction: int = 0,
                      masking: str = "weights", yb_brackets: bool = True, empty: str = "nan",
                      in_place: bool = False) -> Callable[..., torch.Tensor]:
    """A student-style colorfulness with switchable mistakes."""

    def colorfulness(rgb: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        if in_place:
            rgb.mul_(scale)
            x = rgb
        else:
            x = rgb * scale
        R, G, B = x.unbind(dim=1)  # noqa: N806
        rg = R - G
        yb = 0.5 * (R + G) - B if yb_brackets else R + G / 2 - B
        if mask is None or masking == "ignore":
            w = torch.ones_like(rg)
        elif masking == "zero":
            rg, yb, w = rg * mask, yb * mask, torch.ones_like(rg)
        else:
            w = mask.to(rg.dtype)
        n = w.sum(dim=(1, 2))

        def stats(v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            mean = (w * v).sum(dim=(1, 2)) / n
            var = (w * (v - mean[:, None, None]) ** 2).sum(dim=(1, 2)) / (n - correction)
            return mean, var

        (m_rg, v_rg), (m_yb, v_yb) = stats(rg), stats(yb)
        if combine == "root":
            result = torch.sqrt(v_rg + v_yb) + factor * torch.sqrt(m_rg**2 + m_yb**2)
        elif combine == "of_sum":
            m_s, v_s = stats(rg + yb)
            result = v_s.sqrt() + factor * m_s.abs()
        else:
            result = v_rg.sqrt() + v_yb.sqrt() + factor * (m_rg.abs() + m_yb.abs())
        if empty == "zero":
            result = torch.where(n > 0, result, torch.zeros_like(result))
        return result

    return colorfulness


def test_colorfulness_passes_on_the_package_and_a_student_version(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.colorfulness, package_colorfulness, capsys)
    passes(checks.colorfulness, make_colorfulness(), capsys)


@pytest.mark.filterwarnings("ignore:var... degrees of freedom:UserWarning")  # the empty mask
def test_colorfulness_passes_a_per_image_loop_with_boolean_indexing(
        capsys: pytest.CaptureFixture[str]) -> None:
    def looped(rgb: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        values = []
        for i, image in enumerate(rgb * 255):
            rg = image[0] - image[1]
            yb = 0.5 * (image[0] + image[1]) - image[2]
            if mask is not None:
                rg, yb = rg[mask[i]], yb[mask[i]]
            spread = torch.sqrt(rg.var(correction=0) + yb.var(correction=0))
            values.append(spread + 0.3 * torch.sqrt(rg.mean() ** 2 + yb.mean() ** 2))
        return torch.stack(values)

    passes(checks.colorfulness, looped, capsys)


def test_colorfulness_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 5.x"):
        checks.colorfulness(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (make_colorfulness(scale=1.0), ["255 times too small", "0-1 scale", "multiply rgb by 255"]),
    (make_colorfulness(factor=1.0), ["no factor 0.3"]),
    (make_colorfulness(combine="of_sum"), ["standard deviation of rg + yb", "mean of rg + yb",
                                           "root of the sum of squares"]),
    (make_colorfulness(combine="sum"), ["σ_rg + σ_yb", "|μ_rg| + |μ_yb|"]),
    (make_colorfulness(correction=1), ["sample standard deviation", "correction=0"]),
    (make_colorfulness(yb_brackets=False), ["R + G / 2 - B", "brackets"]),
    (make_colorfulness(masking="ignore"), ["with a mask", "mask is ignored"]),
    (make_colorfulness(masking="zero"), ["set the pixels outside the mask to 0", "mask.sum((1, 2))"]),
    (make_colorfulness(empty="zero"), ["empty mask", "should be NaN", "torch.nanmean"]),
    (make_colorfulness(in_place=True), ["changed its input in place", "rgb * 255"]),
])
def test_colorfulness_names_the_mistake(mistake: Callable, needles: list[str]) -> None:
    fails(checks.colorfulness, mistake, *needles)


def test_colorfulness_wants_one_value_per_image_and_locates_unknown_errors() -> None:
    fails(checks.colorfulness, lambda rgb, mask=None: package_colorfulness(rgb, mask).mean(),
          "wrong shape", "expected: (8,)", "one value per image")

    def flat_color_wrong(rgb: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        x = rgb * 255
        rg, yb = x[:, 0] - x[:, 1], 0.5 * (x[:, 0] + x[:, 1]) - x[:, 2]
        spread = torch.sqrt(rg.var(dim=(1, 2), correction=0) + yb.var(dim=(1, 2), correction=0))
        m_rg, m_yb = rg.mean(dim=(1, 2)), yb.mean(dim=(1, 2))
        return spread + 0.3 * torch.sqrt(m_rg**2 + m_yb**2 + (m_rg * m_yb).abs())  # wrong when tinted

    fails(checks.colorfulness, flat_color_wrong, "flat color", "only the mean term")

    def spread_wrong(rgb: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        rg = (rgb[:, 0] - rgb[:, 1]) * 255  # wrong by a term that is 0 for gray and flat images
        return package_colorfulness(rgb, mask) + 0.1 * rg.std(dim=(1, 2))

    fails(checks.colorfulness, spread_wrong, "average to 0", "only the spread term")


# --------------------------------------------------------------------------------------
# 5.2 a fair comparison
# --------------------------------------------------------------------------------------


def reference_compare(methods: Mapping[str, Callable], images: torch.Tensor, ambiguous: torch.Tensor
                      ) -> dict[str, dict[str, float]]:
    target = images.float() / 255
    return {name: score_images(method(images), target, ambiguous) for name, method in methods.items()}


def make_compare(psnr_mode: str = "finite", ambiguous_mode: str = "nanmean", inputs: str = "same",
                 target_mode: str = "truth", cf_of: str = "pred") -> Callable:
    """A student-style compare_methods with switchable mistakes."""

    def compare_methods(methods: Mapping[str, Callable], images: torch.Tensor,
                        ambiguous: torch.Tensor) -> dict:
        target = images.float() / 255
        results = {}
        for k, (name, method) in enumerate(methods.items()):
            given = images
            if inputs == "subset" and k == 1:
                given = images[:4]
            elif inputs == "shuffled" and k == 2:
                given = images.flip(0)
            elif inputs == "float":
                given = images.float() / 255
            pred = method(given)
            if inputs in ("subset", "shuffled"):
                pred = method(images)  # the scores use all the images, but a method saw something else
            reference = methods["gray"](images) if target_mode == "gray" else target
            values = psnr(pred, reference)
            if psnr_mode == "plain":
                p = float(values.mean())
            elif psnr_mode == "finite_no_inf":
                p = float(values[torch.isfinite(values)].mean())
            elif psnr_mode == "pooled":
                mse = float(((pred.double() - reference.double()) ** 2).mean())
                p = 10 * math.log10(1 / mse) if mse > 0 else math.inf
            elif psnr_mode == "clamp":
                p = float(values.clamp(max=100).mean())
            else:
                finite = values[torch.isfinite(values)]
                p = float(finite.mean()) if len(finite) else math.inf
            on_objects = package_colorfulness(pred, mask=ambiguous)
            if ambiguous_mode == "ignore":
                a = float(package_colorfulness(pred).mean())
            else:
                a = {"nanmean": lambda v: float(torch.nanmean(v)), "mean": lambda v: float(v.mean()),
                     "zero": lambda v: float(v.nan_to_num(0.0).mean())}[ambiguous_mode](on_objects)
            results[name] = {
                "psnr": p,
                "ssim": float(ssim(pred, reference).mean()),
                "colorfulness": float(package_colorfulness(target if cf_of == "target" else pred).mean()),
                "colorfulness_ambiguous": a,
            }
        return results

    return compare_methods


def test_compare_methods_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.compare_methods, reference_compare, capsys)
    passes(checks.compare_methods, make_compare(), capsys)


def test_compare_methods_accepts_tensors_as_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    def as_tensors(methods: Mapping[str, Callable], images: torch.Tensor, ambiguous: torch.Tensor) -> dict:
        return {name: {key: torch.tensor(value) for key, value in scores.items()}
                for name, scores in reference_compare(methods, images, ambiguous).items()}

    passes(checks.compare_methods, as_tensors, capsys)


def test_compare_methods_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError):
        checks.compare_methods(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (make_compare(psnr_mode="plain"), ["PSNR of 'lucky' is inf", "one of its images is exact",
                                       "torch.isfinite"]),
    (make_compare(psnr_mode="finite_no_inf"), ["'ground truth' is NaN", "report inf"]),
    (make_compare(psnr_mode="pooled"), ["pooled over all images", "per image"]),
    (make_compare(psnr_mode="clamp"), ["caps infinite values", "sensible convention"]),
    (make_compare(ambiguous_mode="mean"), ["is NaN", "images without ambiguous pixels", "torch.nanmean"]),
    (make_compare(ambiguous_mode="zero"), ["counts the images without any as 0", "pulls the mean down"]),
    (make_compare(ambiguous_mode="ignore"), ["ignores the mask"]),
    (make_compare(inputs="subset"), ["method 'sepia' was given 4 images", "held-out set has 6",
                                     "no subsets"]),
    (make_compare(inputs="shuffled"), ["method 'lucky' was given images in another order"]),
    (make_compare(inputs="float"), ["was given torch.float32 images", "uint8"]),
    (make_compare(target_mode="gray"), ["PSNR of 'gray' is inf although none of its images is exact",
                                         "same target"]),
    (make_compare(cf_of="target"), ["colorfulness of 'gray' is that of the ground truth"]),
])
def test_compare_methods_names_the_mistake(mistake: Callable, needles: list[str]) -> None:
    fails(checks.compare_methods, mistake, *needles)


def test_compare_methods_catches_a_global_test_set_and_bad_results() -> None:
    generator = torch.Generator().manual_seed(5)
    other = torch.randint(0, 256, (6, 3, 16, 16), dtype=torch.uint8, generator=generator)

    def uses_a_global(methods: Mapping[str, Callable], images: torch.Tensor, ambiguous: torch.Tensor) -> dict:
        return reference_compare(methods, other, ambiguous)

    fails(checks.compare_methods, uses_a_global, "other than the held-out images", "`images` argument")

    def a_list(methods: Mapping[str, Callable], images: torch.Tensor, ambiguous: torch.Tensor) -> list:
        return list(reference_compare(methods, images, ambiguous).values())

    fails(checks.compare_methods, a_list, "should return a dict")

    def drops_truth(methods: Mapping[str, Callable], images: torch.Tensor, ambiguous: torch.Tensor) -> dict:
        return reference_compare({k: v for k, v in methods.items() if k != "ground truth"}, images, ambiguous)

    fails(checks.compare_methods, drops_truth, "one entry per method")

    def no_ssim(methods: Mapping[str, Callable], images: torch.Tensor, ambiguous: torch.Tensor) -> dict:
        results = reference_compare(methods, images, ambiguous)
        for scores in results.values():
            del scores["ssim"]
        return results

    fails(checks.compare_methods, no_ssim, "lack ssim")

    def in_place(methods: Mapping[str, Callable], images: torch.Tensor, ambiguous: torch.Tensor) -> dict:
        results = reference_compare(methods, images, ambiguous)
        images[0] = 0
        return results

    fails(checks.compare_methods, in_place, "changed the images")


# --------------------------------------------------------------------------------------
# 5.3 unbiased MMD²
# --------------------------------------------------------------------------------------


def make_mmd(within: str = "unbiased", degree: int = 3, scaled: bool = True, factor: float = 2.0,
             cross: str = "all", root: bool = False) -> Callable:
    def mmd2_unbiased(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        m, n, d = len(x), len(y), x.shape[1]

        def k(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
            return (a @ b.T / (d if scaled else 1) + 1) ** degree

        k_xx, k_yy, k_xy = k(x, x), k(y, y), k(x, y)
        if within == "unbiased":
            term_x = (k_xx.sum() - k_xx.diagonal().sum()) / (m * (m - 1))
            term_y = (k_yy.sum() - k_yy.diagonal().sum()) / (n * (n - 1))
        elif within == "biased":
            term_x, term_y = k_xx.mean(), k_yy.mean()
        elif within == "keep_diagonal":
            term_x, term_y = k_xx.sum() / (m * (m - 1)), k_yy.sum() / (n * (n - 1))
        else:
            term_x = (k_xx.sum() - k_xx.diagonal().sum()) / m**2
            term_y = (k_yy.sum() - k_yy.diagonal().sum()) / n**2
        if cross == "all":
            term_xy = k_xy.mean()
        elif cross == "off_diagonal":  # the pairs i != j, over their number: unbiased too
            term_xy = (k_xy.sum() - k_xy.diagonal().sum()) / (m * n - min(m, n))
        elif cross == "off_diagonal_mn":  # the pairs i != j, over m n: biased
            term_xy = (k_xy.sum() - k_xy.diagonal().sum()) / (m * n)
        else:  # "off_diagonal_m_n1": over m (n - 1), right only when m <= n
            term_xy = (k_xy.sum() - k_xy.diagonal().sum()) / (m * (n - 1))
        value = term_x + term_y - factor * term_xy
        return value.sqrt() if root else value

    return mmd2_unbiased


def test_mmd2_passes_on_the_reference_and_the_package(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.mmd2_unbiased, make_mmd(), capsys)

    def as_python_float(x: torch.Tensor, y: torch.Tensor) -> float:
        return float(make_mmd()(x, y))

    passes(checks.mmd2_unbiased, as_python_float, capsys)


def test_the_check_agrees_with_the_package_for_equal_sizes() -> None:
    from gancolor.metrics.fid import _mmd2_unbiased

    x, y = torch.randn(10, 5, dtype=torch.float64), torch.randn(10, 5, dtype=torch.float64)
    assert float(make_mmd()(x, y)) == pytest.approx(_mmd2_unbiased(x.numpy(), y.numpy()), rel=1e-12)


def test_mmd2_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError):
        checks.mmd2_unbiased(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (make_mmd(within="biased"), ["biased estimator", "divide by m(m - 1)"]),
    (make_mmd(within="keep_diagonal"), ["include the diagonal", "k.diagonal().sum()"]),
    (make_mmd(within="drop_diagonal_m2"), ["divide by m²", "m(m - 1) pairs"]),
    (make_mmd(scaled=False), ["without dividing by the feature dimension D"]),
    (make_mmd(degree=2), ["degree 2", "** 3"]),
    (make_mmd(factor=1.0), ["lacks its factor 2"]),
    (make_mmd(root=True), ["square root"]),
])
def test_mmd2_names_the_mistake(mistake: Callable, needles: list[str]) -> None:
    fails(checks.mmd2_unbiased, mistake, *needles)


def test_mmd2_accepts_gretton_u_statistic(capsys: pytest.CaptureFixture[str]) -> None:
    # Gretton et al. 2012, for m = n: MMD²_u = 1/(m(m-1)) Σ_{i≠j} h(z_i, z_j) with
    # h = k(x_i, x_j) + k(y_i, y_j) - k(x_i, y_j) - k(x_j, y_i): the cross term leaves out i = j.
    def u_statistic(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if len(x) != len(y):
            return make_mmd()(x, y)  # eq. (3) of the paper for unequal sizes
        m, d = len(x), x.shape[1]
        k_xx, k_yy, k_xy = ((a @ b.T / d + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        h = k_xx + k_yy - k_xy - k_xy.T
        return (h.sum() - h.diagonal().sum()) / (m * (m - 1))

    passes(checks.mmd2_unbiased, u_statistic, capsys)
    passes(checks.mmd2_unbiased, make_mmd(cross="off_diagonal"), capsys)  # i != j for any m, n

    def off_diagonal_means(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:  # the brief's words
        k_xx, k_yy, k_xy = ((a @ b.T / x.shape[1] + 1) ** 3 for a, b in ((x, x), (y, y), (x, y)))
        off_x = ~torch.eye(len(x), dtype=torch.bool)
        off_y = ~torch.eye(len(y), dtype=torch.bool)
        return k_xx[off_x].mean() + k_yy[off_y].mean() - 2 * k_xy.mean()

    passes(checks.mmd2_unbiased, off_diagonal_means, capsys)


@pytest.mark.parametrize(("mistake", "needles"), [
    (make_mmd(cross="off_diagonal_mn"), ["leaves out the pairs i = j but still divides by m n"]),
    (make_mmd(cross="off_diagonal_m_n1"), ["(12, 5) and y (9, 5) is not the unbiased MMD²"]),
    (make_mmd(cross="off_diagonal", within="biased"), ["biased estimator"]),
    (make_mmd(cross="off_diagonal", factor=1.0), ["lacks its factor 2"]),
])
def test_mmd2_still_rejects_wrong_cross_terms(mistake: Callable, needles: list[str]) -> None:
    fails(checks.mmd2_unbiased, mistake, *needles)


def test_mmd2_wants_one_number() -> None:
    def per_row(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return ((x @ x.T / x.shape[1] + 1) ** 3).mean(dim=1)

    fails(checks.mmd2_unbiased, per_row, "single number")


# --------------------------------------------------------------------------------------
# Every check: deterministic, quiet about the global random state
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "wrong"), [
    ("colorfulness", make_colorfulness(factor=0.5)),
    ("compare_methods", make_compare(ambiguous_mode="mean")),
    ("mmd2_unbiased", make_mmd(factor=1.5)),
])
def test_checks_leave_the_random_state_alone_and_give_the_same_message_twice(name: str,
                                                                           wrong: Callable) -> None:
    check = getattr(checks, name)
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    messages = []
    for _ in range(2):
        with pytest.raises(ExerciseFailed) as info:
            check(wrong)
        messages.append(str(info.value))
    assert torch.equal(torch.rand(3), before)
    assert messages[0] == messages[1]
