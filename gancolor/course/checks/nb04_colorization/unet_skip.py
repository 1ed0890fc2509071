"""Check 4.1: one level of a U-Net with its skip connection, looked at from the inside with hooks."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from gancolor.course.checks._framework import (
    ExerciseFailed,
    describe,
    exercise,
    expect_shape,
    expect_true,
    tensors_close,
)

__all__ = ["unet_level"]


_LEVEL_HINT = ("skip = self.down(x); h = self.inner(skip); return self.up(torch.cat([h, skip], dim=1)): "
               "the skip is the downsampled features, concatenated with the deeper levels' output "
               "along the channels (dim 1)")


class _Bottleneck(nn.Module):
    """The deepest part of a test U-Net: a 3x3 conv, (N, C, h, w) -> (N, C, h, w)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, kernel_size=3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x))


class _GlobalContext(nn.Module):
    """A bottleneck that only passes on each channel's average: no local detail gets through it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.mean(dim=(2, 3), keepdim=True).expand_as(x)


class _Record:
    """Records the input and output of the last call of each of a level's three parts."""

    def __init__(self, level: nn.Module) -> None:
        self.inputs: dict[str, torch.Tensor] = {}
        self.outputs: dict[str, torch.Tensor] = {}
        self.calls: dict[str, int] = {"down": 0, "inner": 0, "up": 0}
        self._handles = []
        for name in ("down", "inner", "up"):
            module = getattr(level, name)
            self._handles.append(module.register_forward_pre_hook(self._pre(name)))
            self._handles.append(module.register_forward_hook(self._post(name)))

    def _pre(self, name: str) -> Callable:
        def hook(module: nn.Module, args: tuple) -> None:
            self.calls[name] += 1
            first = args[0] if args else None
            if isinstance(first, torch.Tensor):
                self.inputs[name] = first.detach()
            self.outputs.pop(name, None)

        return hook

    def _post(self, name: str) -> Callable:
        def hook(module: nn.Module, args: tuple, output: object) -> None:
            if isinstance(output, torch.Tensor):
                self.outputs[name] = output.detach()

        return hook

    def __enter__(self) -> _Record:
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._handles:
            handle.remove()


def _make_level(student_cls: type, in_channels: int, channels: int, out_channels: int,
                inner: nn.Module) -> nn.Module:
    __tracebackhide__ = True
    level = student_cls(in_channels, channels, out_channels, inner)
    expect_true(isinstance(level, nn.Module), "UNetLevel(...) should be an nn.Module",
                got=type(level).__name__, hint="keep the class as given: class UNetLevel(nn.Module)")
    for name in ("down", "inner", "up"):
        expect_true(isinstance(getattr(level, name, None), nn.Module),
                    f"UNetLevel has no submodule self.{name}",
                    hint="keep the given __init__ (self.down, self.inner, self.up); the exercise is forward")
    expect_true(level.inner is inner, "UNetLevel(..., inner) should keep the module it gets as self.inner",
                hint="keep the given __init__; the exercise is forward")
    return level


def _up_input_problem(up_in: torch.Tensor, skip: torch.Tensor, deep: torch.Tensor | None,
                      channels: int) -> tuple[str, str] | None:
    """What is wrong with the tensor that went into self.up, if we recognise it."""
    n = skip.shape[0]
    if deep is not None and up_in.shape == skip.shape and tensors_close(up_in, deep + skip):
        return ("you added the skip to the deeper output (h + skip): that is a ResNet-style skip. A U-Net "
                "concatenates them, so the decoder gets both, side by side, as 2 x channels feature maps",
                "torch.cat([h, skip], dim=1)")
    if up_in.dim() == 4 and up_in.shape[0] == 2 * n and up_in.shape[1] == channels:
        return ("you concatenated along dim 0, the batch: self.up got twice the images, half the channels",
                "concatenate along the channels: torch.cat([h, skip], dim=1)")
    if up_in.dim() == 4 and up_in.shape[1] == channels:
        return (f"self.up got {channels} channels, but it expects 2 x {channels} = {2 * channels}: the skip "
                "connection is missing (self.up(h) alone sends everything through the bottleneck)",
                "concatenate the deeper output with the skip: self.up(torch.cat([h, skip], dim=1))")
    return None


def _check_level_call(student_cls: type, x: torch.Tensor, in_channels: int, channels: int,
                      out_channels: int) -> None:
    """One call of a level, looked at from the inside."""
    __tracebackhide__ = True
    inner = _Bottleneck(channels)
    level = _make_level(student_cls, in_channels, channels, out_channels, inner)
    what = (f"UNetLevel({in_channels}, {channels}, {out_channels}, inner) on an input of shape "
            f"{tuple(x.shape)}")
    error: Exception | None = None
    with _Record(level) as record:
        try:
            y = level(x.clone())
        except NotImplementedError:
            raise
        except ExerciseFailed:
            raise
        except Exception as caught:  # noqa: BLE001 -- torch's layers raise it; we explain it below
            error = caught

    skip = record.outputs.get("down")
    if record.calls["down"] == 0 or skip is None:
        if error is not None:
            raise _level_error(error, what) from error
        raise ExerciseFailed("self.down was never called: the level must start by downsampling x",
                             hint=_LEVEL_HINT)
    expect_true(tensors_close(record.inputs["down"], x), "self.down should get the level's input x",
                hint=_LEVEL_HINT)
    deep = record.outputs.get("inner") if record.calls["inner"] else None
    if record.calls["inner"]:
        expect_true(tensors_close(record.inputs["inner"], skip),
                    "self.inner (the deeper levels) should get the downsampled features self.down(x)",
                    expected=describe(skip), got=describe(record.inputs["inner"]), hint=_LEVEL_HINT)
    if record.calls["up"] == 0:
        if error is not None:
            raise _level_error(error, what) from error
        raise ExerciseFailed("self.up was never called: the level must end by upsampling back to the input "
                             "size",
                             hint=_LEVEL_HINT)
    up_in = record.inputs["up"]
    found = _up_input_problem(up_in, skip, deep, channels)
    if found is not None:
        wanted = (x.shape[0], 2 * channels, *skip.shape[2:])
        raise ExerciseFailed(found[0], expected=f"self.up's input of shape {wanted}",
                             got=f"shape {tuple(up_in.shape)}", hint=found[1])
    if error is not None:
        raise _level_error(error, what) from error
    if deep is None:
        raise ExerciseFailed("self.inner was never called: the deeper levels of the U-Net are skipped",
                             hint="h = self.inner(skip) runs the rest of the U-Net on the downsampled "
                                  "features")
    good = [torch.cat([deep, skip], dim=1), torch.cat([skip, deep], dim=1)]
    if not any(tensors_close(up_in, g) for g in good):
        for candidate, problem in [
            (torch.cat([deep, deep], dim=1),
             "you concatenated the deeper output with itself: the skip is missing"),
            (torch.cat([skip, skip], dim=1),
             "you concatenated the skip with itself: the deeper levels' output is missing"),
        ]:
            if tensors_close(up_in, candidate):
                raise ExerciseFailed(problem, hint=_LEVEL_HINT)
        raise ExerciseFailed("self.up should get torch.cat([h, skip], dim=1), with h = self.inner(skip) and "
                             "skip = self.down(x)", expected=describe(good[0]), got=describe(up_in),
                             hint=_LEVEL_HINT)
    y = expect_shape(y, (x.shape[0], out_channels, *x.shape[2:]), f"the output of {what}",
                     hint="return self.up(...) as it is: the level maps (N, in, H, W) to (N, out, H, W)")
    expect_true(tensors_close(y, record.outputs["up"]),
                "the level should return the output of self.up unchanged",
                expected=describe(record.outputs["up"]), got=describe(y), hint=_LEVEL_HINT)


def _level_error(error: Exception, what: str) -> ExerciseFailed:
    first = (str(error).strip().splitlines() or [""])[0]
    hint = _LEVEL_HINT
    if "Sizes of tensors must match" in first:
        hint = ("torch.cat needs equal sizes in every dim but the one it joins: the skip is self.down(x), "
                "of size H/2 like the deeper output, not x itself. " + _LEVEL_HINT)
    return ExerciseFailed(f"running {what} raised {type(error).__name__}: {first}", hint=hint)


def _three_level_unet(student_cls: type, bottom: nn.Module) -> nn.Module:
    """(N, 1, H, W) -> (N, 2, H, W): three nested student levels around ``bottom``, H -> H/8 -> H."""
    __tracebackhide__ = True
    level3 = _make_level(student_cls, 16, 32, 16, bottom)  # H/4 -> H/8 -> H/4
    level2 = _make_level(student_cls, 8, 16, 8, level3)  # H/2 -> H/4 -> H/2
    level1 = _make_level(student_cls, 1, 8, 8, level2)  # H -> H/2 -> H
    return nn.Sequential(level1, nn.Conv2d(8, 2, kernel_size=1), nn.Tanh())


@exercise("4.1", "U-Net level with a skip connection", hint=_LEVEL_HINT)
def unet_level(student_cls: type) -> None:
    """``student_cls(in_channels, channels, out_channels, inner)``: an ``nn.Module`` whose forward maps
    (N, in, H, W) to (N, out, H, W) as up(cat(inner(down(x)), down(x))). ``__init__`` is given."""
    __tracebackhide__ = True
    expect_true(isinstance(student_cls, type) and issubclass(student_cls, nn.Module),
                "pass the class itself: checks.unet_level(UNetLevel)", got=describe(student_cls))

    # One level, looked at from the inside, at several sizes (non-square, batches of 1 to 4).
    for shape, (c_in, channels, c_out) in [((2, 3, 16, 16), (3, 8, 5)), ((1, 1, 32, 48), (1, 4, 2)),
                                           ((4, 6, 8, 8), (6, 12, 6))]:
        _check_level_call(student_cls, torch.randn(shape), c_in, channels, c_out)

    # Nested levels make a U-Net: the output has the input's size at every size.
    net = _three_level_unet(student_cls, _Bottleneck(32))
    for shape in [(2, 1, 32, 32), (1, 1, 64, 96), (3, 1, 16, 16)]:
        y = net(torch.randn(shape))
        expect_shape(y, (shape[0], 2, *shape[2:]), f"the output of a 3-level U-Net built from UNetLevel "
                     f"for an input of shape {shape}", hint=_LEVEL_HINT)

    # Fine detail crosses the skips: with a bottleneck that only knows the image's average, a change
    # to one small patch of the input must still change the output there, and much less far away.
    net = _three_level_unet(student_cls, _GlobalContext()).eval()
    x = torch.randn(1, 1, 32, 32)
    changed = x.clone()
    changed[..., 8:10, 8:10] += 2.0
    with torch.no_grad():
        diff = (net(changed) - net(x)).abs().amax(dim=1)[0]  # (H, W)
    near, far = float(diff[6:12, 6:12].max()), float(diff[20:, 20:].max())
    expect_true(near > 1e-3 and near > 10 * far,
                "the output does not follow the details of the input: changing a 2x2 patch of the input "
                "should change the output at that patch much more than far from it",
                expected="a large change near the patch, almost none far from it",
                got=f"largest change {near:.3g} near the patch, {far:.3g} far from it",
                hint="the detail must reach the decoder through the skip connection: concatenate "
                     "self.down(x) with the deeper output before self.up")
