"""The checks of notebook 03 (Lab color space) both ways: they pass on the reference, let the
student's stub raise NotImplementedError, and fail on typical mistakes with a message that names
the mistake."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from exercise_asserts import fails, passes

from gancolor import color
from gancolor.course import checks
from gancolor.course.checks import ExerciseFailed

# The notebook's constants.
M = torch.tensor([
    [0.412453, 0.357580, 0.180423],
    [0.212671, 0.715160, 0.072169],
    [0.019334, 0.119193, 0.950227],
], dtype=torch.float64)
WHITE = torch.tensor([0.95047, 1.0, 1.08883], dtype=torch.float64)


def stub(*args: object) -> None:
    raise NotImplementedError("Exercise 3.x: not done yet")




# --------------------------------------------------------------------------------------
# Student-style implementations with switchable mistakes
# --------------------------------------------------------------------------------------


def decode(rgb: torch.Tensor) -> torch.Tensor:
    return torch.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)


def make_xyz_to_lab(white: torch.Tensor | None = WHITE, segment: bool = True, offset: bool = True,
                    swap: bool = False, sign_b: float = 1.0,
                    clamp: bool = True) -> Callable[[torch.Tensor], torch.Tensor]:
    def xyz_to_lab(xyz: torch.Tensor) -> torch.Tensor:
        t = xyz if white is None else xyz / white.to(xyz).view(3, 1, 1)
        fx, fy, fz = t.unbind(-3)

        def f(t: torch.Tensor) -> torch.Tensor:
            if not segment:
                return t ** (1 / 3)
            root = t.clamp(min=1e-9) ** (1 / 3) if clamp else t ** (1 / 3)  # unclamped: NaN gradient at 0
            return torch.where(t > (6 / 29) ** 3, root, 7.787 * t + offset * 16 / 116)

        fx, fy, fz = f(fx), f(fy), f(fz)
        L, a, b = 116 * fy - 16, 500 * (fx - fy), sign_b * 200 * (fy - fz)  # noqa: N806
        return torch.stack((L, b, a) if swap else (L, a, b), dim=-3)

    return xyz_to_lab


def make_rgb_to_lab(decode_fn: Callable = decode, matrix: torch.Tensor = M, channel_last: bool = False,
                    cast: bool = True,
                    xyz_to_lab: Callable | None = None) -> Callable[[torch.Tensor], torch.Tensor]:
    to_lab = xyz_to_lab or make_xyz_to_lab()

    def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
        m = matrix.to(rgb) if cast else matrix
        linear = decode_fn(rgb)
        if channel_last:
            xyz = torch.einsum("ij,...j->...i", m, linear)  # mixes the last axis, not the colours
        else:
            xyz = torch.einsum("ij,...jhw->...ihw", m, linear)
        return to_lab(xyz)

    return rgb_to_lab


# --------------------------------------------------------------------------------------
# 3.1 sRGB -> linear
# --------------------------------------------------------------------------------------


def test_srgb_to_linear_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.srgb_to_linear, color.srgb_to_linear, capsys)
    passes(checks.srgb_to_linear, decode, capsys)


def test_srgb_to_linear_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError, match="Exercise 3.x"):
        checks.srgb_to_linear(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (lambda c: c**2.2, ["pure power law c ** 2.2", "c / 12.92"]),
    (lambda c: ((c + 0.055) / 1.055) ** 2.4, ["everywhere", "forget the linear segment"]),
    (lambda c: torch.where(c <= 0.0031308, c / 12.92, ((c + 0.055) / 1.055) ** 2.4), ["0.0031308"]),
    (color.linear_to_srgb, ["encoding", "darkens"]),
    (lambda c: torch.where(c <= 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92), ["swapped"]),
    (lambda c: torch.where(c <= 0.04045, c / 12.0, ((c + 0.055) / 1.055) ** 2.4), ["dark inputs only"]),
    (lambda c: torch.where(c <= 0.04045, c / 12.92, ((c + 0.05) / 1.05) ** 2.4), ["above 0.04045"]),
])
def test_srgb_to_linear_names_the_mistake(mistake: Callable, needles: list[str]) -> None:
    fails(checks.srgb_to_linear, mistake, *needles)


def test_srgb_to_linear_rejects_numpy() -> None:
    def numpy_version(rgb: torch.Tensor) -> np.ndarray:
        c = rgb.numpy()
        return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)

    fails(checks.srgb_to_linear, numpy_version, "should be a torch.Tensor", "torch functions only")

    def numpy_round_trip(rgb: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(numpy_version(rgb))

    fails(checks.srgb_to_linear, numpy_round_trip, "requires gradients", "NumPy")


def test_srgb_to_linear_wants_the_input_dtype_and_a_python_if_is_reported() -> None:
    fails(checks.srgb_to_linear, lambda c: decode(c).float(), "changed the dtype")

    def python_if(rgb: torch.Tensor) -> torch.Tensor:
        if rgb <= 0.04045:
            return rgb / 12.92
        return ((rgb + 0.055) / 1.055) ** 2.4

    fails(checks.srgb_to_linear, python_if, "your code raised RuntimeError", "torch.where")


# --------------------------------------------------------------------------------------
# 3.2 XYZ -> Lab
# --------------------------------------------------------------------------------------


def test_xyz_to_lab_passes_on_the_reference_and_exact_constants(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.xyz_to_lab, make_xyz_to_lab(), capsys)

    def exact_constants(xyz: torch.Tensor) -> torch.Tensor:  # 216/24389 and 841/108 instead of rounded
        delta = 6 / 29
        t = xyz / WHITE.to(xyz).view(3, 1, 1)
        f = torch.where(t > delta**3, t.clamp(min=1e-9) ** (1 / 3), t / (3 * delta**2) + 4 / 29)
        fx, fy, fz = f.unbind(-3)
        return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=-3)

    passes(checks.xyz_to_lab, exact_constants, capsys)


def test_xyz_to_lab_rejects_a_cube_root_without_its_clamp() -> None:
    # The values are right (torch.where picks the linear piece at t = 0), but the cube root's
    # gradient is inf at 0 and where's backward gives 0 · inf = NaN there.
    unclamped = make_xyz_to_lab(clamp=False)
    x = torch.zeros(1, 3, 1, 1, dtype=torch.float64, requires_grad=True)
    assert torch.isfinite(unclamped(x)).all()
    unclamped(x).sum().backward()
    assert torch.isnan(x.grad).all()
    fails(checks.xyz_to_lab, unclamped, "gradient is NaN at pure black", "lacks its clamp", "t.clamp(min=")


def test_xyz_to_lab_accepts_other_finite_gradient_forms(capsys: pytest.CaptureFixture[str]) -> None:
    def clamp_at_knee(xyz: torch.Tensor) -> torch.Tensor:  # the notebook's form: clamp at (6/29)^3
        delta = 6 / 29
        t = xyz / WHITE.to(xyz).view(3, 1, 1)
        f = torch.where(t > delta**3, t.clamp(min=delta**3) ** (1 / 3), t / (3 * delta**2) + 4 / 29)
        fx, fy, fz = f.unbind(-3)
        return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=-3)

    def masked_assignment(xyz: torch.Tensor) -> torch.Tensor:  # no where: each piece on its own pixels
        t = xyz / WHITE.to(xyz).view(3, 1, 1)
        above = t > (6 / 29) ** 3
        f = 7.787 * t + 16 / 116
        f = f.masked_scatter(above, t[above] ** (1 / 3))
        fx, fy, fz = f.unbind(-3)
        return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=-3)

    def clamp_at_zero(xyz: torch.Tensor) -> torch.Tensor:  # clamp's backward stops the gradient at t = 0
        t = xyz / WHITE.to(xyz).view(3, 1, 1)
        f = torch.where(t > (6 / 29) ** 3, t.clamp(min=0) ** (1 / 3), 7.787 * t + 16 / 116)
        fx, fy, fz = f.unbind(-3)
        return torch.stack((116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)), dim=-3)

    passes(checks.xyz_to_lab, clamp_at_knee, capsys)
    passes(checks.xyz_to_lab, masked_assignment, capsys)
    passes(checks.xyz_to_lab, clamp_at_zero, capsys)
    passes(checks.rgb_to_lab, make_rgb_to_lab(xyz_to_lab=clamp_at_knee), capsys)


def test_xyz_to_lab_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError):
        checks.xyz_to_lab(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (make_xyz_to_lab(segment=False), ["dark and strongly saturated", "forget the linear segment of f(t)"]),
    (make_xyz_to_lab(offset=False), ["lacks its offset", "16/116"]),
    (make_xyz_to_lab(white=None), ["did not divide by the white", "0.95047"]),
    (make_xyz_to_lab(white=torch.tensor([0.96422, 1.0, 0.82521])), ["D50", "D65"]),
    (make_xyz_to_lab(swap=True), ["a and b channels are swapped", "green-red"]),
    (make_xyz_to_lab(sign_b=-1.0), ["b channel has the wrong sign"]),
])
def test_xyz_to_lab_names_the_mistake(mistake: Callable, needles: list[str]) -> None:
    fails(checks.xyz_to_lab, mistake, *needles)


def test_xyz_to_lab_says_which_channel_and_colours_when_the_mistake_is_unknown() -> None:
    def b_segment_off(xyz: torch.Tensor) -> torch.Tensor:  # the linear segment forgotten for Z only
        lab = make_xyz_to_lab()(xyz)
        fz_wrong = make_xyz_to_lab(segment=False)(xyz)
        return torch.cat((lab[..., :2, :, :], fz_wrong[..., 2:, :, :] + 0 * lab[..., 2:, :, :]), dim=-3)

    message = fails(checks.xyz_to_lab, b_segment_off, "your b channel is off", "dark or strongly saturated",
                    "linear segment of f(t)", "expected: Lab", "XYZ")
    assert "L," not in message.splitlines()[0]


def test_xyz_to_lab_wants_the_colour_axis_counted_from_the_end() -> None:
    def channel_last(xyz: torch.Tensor) -> torch.Tensor:
        x, y, z = xyz.unbind(-1)
        return torch.stack((116 * y - 16, 500 * (x - y), 200 * (y - z)), dim=-1)

    fails(checks.xyz_to_lab, channel_last, "axis -3")

    def batch_only(xyz: torch.Tensor) -> torch.Tensor:
        x, y, z = xyz.unbind(1)
        return make_xyz_to_lab()(torch.stack((x, y, z), dim=1))

    fails(checks.xyz_to_lab, batch_only, "fails on one image (3, H, W)")


def test_xyz_to_lab_reports_float64_constants_on_float32_input() -> None:
    def promotes(xyz: torch.Tensor) -> torch.Tensor:
        return make_xyz_to_lab()(xyz) * torch.ones(3, 1, 1, dtype=torch.float64)

    fails(checks.xyz_to_lab, promotes, "changed the dtype")


# --------------------------------------------------------------------------------------
# 3.3 sRGB -> Lab
# --------------------------------------------------------------------------------------


def test_rgb_to_lab_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.rgb_to_lab, color.rgb_to_lab, capsys)
    passes(checks.rgb_to_lab, make_rgb_to_lab(), capsys)


def test_rgb_to_lab_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError):
        checks.rgb_to_lab(stub)


@pytest.mark.parametrize(("mistake", "needles"), [
    (make_rgb_to_lab(decode_fn=lambda c: c), ["skipped the gamma decoding"]),
    (make_rgb_to_lab(decode_fn=lambda c: c**2.2), ["pure power c ** 2.2"]),
    (make_rgb_to_lab(matrix=M.T), ["transposed"]),
    (make_rgb_to_lab(xyz_to_lab=make_xyz_to_lab(segment=False)), ["forget the linear segment of f(t)"]),
    (make_rgb_to_lab(xyz_to_lab=make_xyz_to_lab(white=None)), ["did not divide by the white"]),
    (make_rgb_to_lab(xyz_to_lab=make_xyz_to_lab(swap=True)), ["swapped"]),
    (make_rgb_to_lab(xyz_to_lab=make_xyz_to_lab(clamp=False)), ["gradient is NaN at pure black", "clamp"]),
    (make_rgb_to_lab(cast=False), ["fails on a float32 image", "M.to(x)"]),
])
def test_rgb_to_lab_names_the_mistake(mistake: Callable, needles: list[str]) -> None:
    fails(checks.rgb_to_lab, mistake, *needles)


def test_rgb_to_lab_catches_colours_taken_from_the_last_axis() -> None:
    # On (2, 3, 10, 30) this raises; on a (3, 6, 3) image it runs and is silently wrong.
    fails(checks.rgb_to_lab, make_rgb_to_lab(channel_last=True), "axis -3")

    def guarded(rgb: torch.Tensor) -> torch.Tensor:  # right for batches, channel-last for width-3 images
        return make_rgb_to_lab(channel_last=rgb.dim() == 3)(rgb)

    fails(checks.rgb_to_lab, guarded, "wrong on one image (3, H, W) of width 3", "axis is -3")


def test_rgb_to_lab_rejects_numpy_results() -> None:
    def via_numpy(rgb: torch.Tensor) -> np.ndarray:
        return color.rgb_to_lab(rgb).numpy()

    fails(checks.rgb_to_lab, via_numpy, "should be a torch.Tensor")


# --------------------------------------------------------------------------------------
# 3.4 normalisation
# --------------------------------------------------------------------------------------


def test_normalize_lab_passes_on_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    passes(checks.normalize_lab, color.normalize_lab, capsys)


def test_normalize_lab_lets_the_stub_raise() -> None:
    with pytest.raises(NotImplementedError):
        checks.normalize_lab(stub)


def in_place(lab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    lab[:, :1] /= 50
    lab[:, :1] -= 1
    lab[:, 1:] /= 110
    return lab[:, :1], lab[:, 1:]


@pytest.mark.parametrize(("mistake", "needles"), [
    (lambda lab: (lab[:, :1] / 100, lab[:, 1:] / 110), ["L_n is L / 100", "expected (-1, 1), got (0, 1)"]),
    (lambda lab: (lab[:, :1] / 50, lab[:, 1:] / 110), ["L / 50, in [0, 2]", "subtract 1"]),
    (lambda lab: (lab[:, :1] / 50 - 1, lab[:, 1:] / 128), ["ab / 128", "110"]),
    (lambda lab: (lab[:, :1] / 50 - 1, lab[:, 1:].flip(1) / 110), ["b first"]),
    (lambda lab: (lab[:, :1] / 50 - 1, lab[:, 1:] / 110 - 1), ["shifted"]),
    (lambda lab: (lab[:, 0] / 50 - 1, lab[:, 1:] / 110), ["wrong shape", "lab[:, :1]"]),
    (lambda lab: (lab[..., :1] / 50 - 1, lab[..., 1:] / 110), ["last axis", "channel-first"]),
    (lambda lab: (lab[:, 1:] / 110, lab[:, :1] / 50 - 1), ["returned (ab_n, L_n)"]),
    (lambda lab: torch.cat((lab[:, :1] / 50 - 1, lab[:, 1:] / 110), dim=1), ["two tensors"]),
    (in_place, ["in place"]),
])
def test_normalize_lab_names_the_mistake(mistake: Callable, needles: list[str]) -> None:
    fails(checks.normalize_lab, mistake, *needles)


# --------------------------------------------------------------------------------------
# Every check: deterministic, quiet about the global random state, quick
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["srgb_to_linear", "xyz_to_lab", "rgb_to_lab", "normalize_lab"])
def test_checks_leave_the_random_state_alone_and_give_the_same_message_twice(name: str) -> None:
    check = getattr(checks, name)
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    messages = []
    for _ in range(2):
        with pytest.raises(ExerciseFailed) as info:
            check(lambda x: x * 0.5 if name != "normalize_lab" else (x[:, :1], x[:, 1:]))
        messages.append(str(info.value))
    assert torch.equal(torch.rand(3), before)
    assert messages[0] == messages[1]
