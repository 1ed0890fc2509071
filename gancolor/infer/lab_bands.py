"""A photo's full-resolution colour work, band by band of rows: uint8 RGB -> CIE L, and L joined to
upsampled chrominance -> uint8 RGB, in bounded memory.

:func:`~gancolor.infer.full_resolution.render_full_resolution` needs only two things at the photo's own
size: its lightness L (shrunk for the network) and, at the end, the RGB of that L joined with the
upsampled chrominance ab. On whole float images (:mod:`gancolor.color`) that takes about 128 bytes
per pixel of temporaries; here every step works on a band of about :data:`BAND_PIXELS` pixels, in
float32 only inside the band, so a photo costs its uint8 input, one float32 L and its uint8 output
(10 bytes per pixel), and the work stays in the CPU's cache:

- sRGB decoding is a 256-entry table per channel (already multiplied by the channel's weight in Y);
  L's cube root is one Newton step from a table (a gray band is one look-up per pixel).
- sRGB encoding to 8 bits needs no power function: a table over the top bits of the float32 linear
  light gives the level at each bin's start, and one comparison with the only rounding threshold
  that can fall inside the bin makes the rounding exact.
- ab is upsampled bilinearly as :func:`torch.nn.functional.interpolate` does (``align_corners`` False):
  the horizontal pass once on the small map (``h`` rows), the vertical pass band by band.
- Bands run on ``torch.get_num_threads()`` threads of our own (numpy releases the GIL), which a busy
  machine slows less than OpenMP threads spin-waiting for each other.

The results equal :func:`gancolor.color.rgb_to_lab` / :func:`gancolor.color.lab_to_rgb` in float32 up
to rounding: the same 8-bit output, or one level off for a few pixels in a million.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from gancolor.color import (
    _EPSILON,
    _F_INV_THRESHOLD,
    _F_OFFSET,
    _KAPPA_SLOPE,
    _WHITE_D65,
    _XYZ_FROM_RGB,
    AB_SCALE,
)

__all__ = ["BAND_PIXELS", "lightness_u8", "lab_to_rgb_u8", "upsample_rows"]

#: Pixels per band: a band's float32 temporaries (a dozen of 256 KB) stay in the CPU's cache.
BAND_PIXELS = 1 << 16

_f32 = np.float32


def _srgb_to_linear(c: np.ndarray) -> np.ndarray:
    """sRGB in [0, 1] -> linear light (float64, the formula of :func:`gancolor.color.srgb_to_linear`)."""
    return np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)


_LINEAR = _srgb_to_linear(np.arange(256) / 255.0)  # (256,) linear light of each 8-bit level
#: Y = sum over channels of _Y_TABLES[c][level]: the weight of channel c in Y times its linear light.
_Y_TABLES = tuple((_XYZ_FROM_RGB[1][c] * _LINEAR).astype(_f32) for c in range(3))
#: XYZ (already divided by the white) -> linear RGB: the inverse of _XYZ_FROM_RGB times the white.
_RGB_FROM_FXYZ = (np.linalg.inv(np.array(_XYZ_FROM_RGB)) * np.array(_WHITE_D65)[None, :]).astype(_f32)

# Tables over float32 values in [0, 1], indexed by their top bits (exponent and 10 bits of mantissa):
# bin i holds the floats from _BIN_START[i] on, a width of 1/1024 of their value (finest near 0).
_SHIFT = 23 - 10
_LAST_BIN = int(np.array(1.0, _f32).view(np.int32)) >> _SHIFT  # the bin of 1.0
_BIN_START = (np.arange(_LAST_BIN + 2, dtype=np.int32) << _SHIFT).view(_f32).astype(np.float64)


def _bin_index(x: np.ndarray) -> np.ndarray:
    """The table bin of every float32 of ``x`` (any shape): intp, negative below 0, past _LAST_BIN above 1
    (look-ups use ``mode="clip"``)."""
    return np.right_shift(x.view(np.int32), _SHIFT, dtype=np.intp)


#: cbrt at the middle of each bin: a start for Newton's method, within 2e-4 of any float of the bin.
_CBRT_START = np.cbrt((_BIN_START[:-1] + _BIN_START[1:]) / 2).astype(_f32)

# 8-bit sRGB encoding: level(lin) = round(255 * srgb(lin)). Level k starts at the threshold
# _THRESHOLDS[k] = srgb^-1((k - 0.5) / 255). Thresholds are further apart than a bin is wide (at least
# 1/106 of their value apart, 1/1024 wide), so a bin holds at most one: level = _LEVEL[i] + (lin >=
# _NEXT[i]), with _LEVEL[i] the level at the bin's start and _NEXT[i] the next threshold. Exact, no pow.
_THRESHOLDS = np.concatenate(([-np.inf], _srgb_to_linear((np.arange(1, 256) - 0.5) / 255.0), [np.inf]))
_LEVEL = (np.searchsorted(_THRESHOLDS.astype(_f32), _BIN_START[:-1].astype(_f32), side="right") - 1
          ).astype(np.uint8)
_NEXT = _THRESHOLDS.astype(_f32)[_LEVEL.astype(np.intp) + 1]


def _bands(height: int, width: int) -> list[slice]:
    """Row slices of about :data:`BAND_PIXELS` pixels covering ``height`` rows of ``width`` pixels."""
    rows = max(1, BAND_PIXELS // max(1, width))
    return [slice(top, min(height, top + rows)) for top in range(0, height, rows)]


def _run_bands(work: Callable[[slice], None], bands: list[slice]) -> None:
    """``work(band)`` for every band, on ``torch.get_num_threads()`` threads (errors re-raised here)."""
    workers = min(torch.get_num_threads(), len(bands))
    if workers <= 1:
        for band in bands:
            work(band)
        return
    with ThreadPoolExecutor(workers, thread_name_prefix="gancolor-bands") as pool:
        for _ in pool.map(work, bands):
            pass


# ---------------------------------------------------------------------------------------------
# uint8 RGB -> L


def _colour_lightness(red: np.ndarray, green: np.ndarray, blue: np.ndarray, out: np.ndarray) -> None:
    """CIE L of the 8-bit channels ``red``, ``green``, ``blue`` (any one shape) into ``out`` (float32).

    L = 116 f(Y) - 16 with f(t) = t^(1/3), or 7.787 t + 16/116 near black (:func:`gancolor.color._lab_f`);
    the cube root is one Newton step from a table: f = (2 f0 + Y / f0^2) / 3.
    """
    y = np.take(_Y_TABLES[0], red)
    y += np.take(_Y_TABLES[1], green)
    y += np.take(_Y_TABLES[2], blue)
    f = np.take(_CBRT_START, _bin_index(y), mode="clip")
    step = f * f
    np.divide(y, step, out=step)
    f += f
    f += step
    if y.min() <= _EPSILON:
        np.copyto(f, y * _f32(3 * _KAPPA_SLOPE) + _f32(3 * _F_OFFSET), where=y <= _f32(_EPSILON))
    np.multiply(f, _f32(116.0 / 3), out=out)  # (f was 3 f(Y))
    out -= _f32(16.0)


_LEVELS = np.arange(256, dtype=np.uint8)
_GRAY_LIGHTNESS = np.empty(256, _f32)  # L of the gray (v, v, v), computed as for any colour
_colour_lightness(_LEVELS, _LEVELS, _LEVELS, _GRAY_LIGHTNESS)


def _lightness_band(rgb: np.ndarray, out: np.ndarray) -> None:
    """CIE L of ``rgb`` (n, W, 3) uint8 into ``out`` (n, W) float32."""
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    if (red[0] == green[0]).all() and np.array_equal(red, green) and np.array_equal(green, blue):
        np.take(_GRAY_LIGHTNESS, red, out=out)  # a gray band (a black-and-white photo): one table look-up
    else:
        _colour_lightness(red, green, blue, out)


def lightness_u8(rgb: np.ndarray) -> np.ndarray:
    """CIE L of a photo: (H, W, 3) uint8 -> (H, W) float32 in [0, 100], band by band."""
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be an (H, W, 3) uint8 array; got {rgb.shape} {rgb.dtype}")
    height, width = rgb.shape[:2]
    L = np.empty((height, width), _f32)  # noqa: N806 (the colour science name)

    def work(band: slice) -> None:
        _lightness_band(rgb[band], L[band])

    _run_bands(work, _bands(height, width))
    return L


# ---------------------------------------------------------------------------------------------
# L + upsampled ab -> uint8 RGB


def upsample_rows(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bilinear resampling of ``in_size`` rows to ``out_size`` (``align_corners`` False), computed in
    float32 as :func:`torch.nn.functional.interpolate` does: output row i = w0[i] * row[i0[i]] +
    w1[i] * row[i1[i]]. Returns (i0, i1, w0, w1), each (out_size,)."""
    scale = _f32(in_size) / _f32(out_size)
    source = np.maximum(scale * (np.arange(out_size, dtype=_f32) + _f32(0.5)) - _f32(0.5), _f32(0))
    first = source.astype(np.intp)
    w1 = np.clip(source - first.astype(_f32), _f32(0), _f32(1))
    return first, first + (first < in_size - 1), _f32(1) - w1, w1


def _lab_f_inverse(f: np.ndarray, out: np.ndarray) -> None:
    """CIE f^-1 of float32 ``f`` into ``out`` (same shape): f^3, or (f - 16/116) / 7.787 at and below
    6/29 (:func:`gancolor.color._lab_f_inverse`)."""
    np.multiply(f, f, out=out)
    out *= f
    low = f <= _f32(_F_INV_THRESHOLD)
    if low.any():
        np.copyto(out, (f - _f32(_F_OFFSET)) * _f32(1 / _KAPPA_SLOPE), where=low)


def _encode_srgb(linear: np.ndarray, out: np.ndarray) -> None:
    """8-bit sRGB of float32 linear light (any shape) into ``out`` (uint8, same shape):
    round(255 * srgb(clip(linear, 0, 1))), exactly, by the tables above (NaN gives 255)."""
    index = _bin_index(linear)
    level = np.take(_LEVEL, index, mode="clip")
    level += np.take(_NEXT, index, mode="clip") <= linear
    out[...] = level


def _rgb_band(L: np.ndarray, ab: tuple[np.ndarray, np.ndarray], rows: tuple[np.ndarray, ...],  # noqa: N803
              out: np.ndarray) -> None:
    """RGB of the band ``L`` (n, W) float32 with the chrominance ``ab`` = (a / 500, -b / 200), each
    (h, W) float32 at the working height, resampled to the band's rows by ``rows`` = (i0, i1, w0, w1)
    of :func:`upsample_rows` (each (n,)); into ``out`` (n, W, 3) uint8."""
    first, second, w0, w1 = rows
    fy = L * _f32(1 / 116.0)
    fy += _f32(16.0 / 116.0)
    xyz = np.empty((3, *L.shape), _f32)
    _lab_f_inverse(fy, xyz[1])
    for channel, row in zip(ab, (0, 2), strict=True):  # fx = fy + a / 500, fz = fy - b / 200
        f = np.take(channel, first, axis=0)
        f *= w0[:, None]
        f += np.take(channel, second, axis=0) * w1[:, None]
        f += fy
        if row == 2:
            np.maximum(f, _f32(0), out=f)  # negative Z is outside any gamut
        _lab_f_inverse(f, xyz[row])
    for c, (mx, my, mz) in enumerate(_RGB_FROM_FXYZ):  # linear RGB (not np.matmul: BLAS threads spin)
        linear = xyz[0] * mx
        linear += xyz[1] * my
        linear += xyz[2] * mz
        _encode_srgb(linear, out[..., c])


def lab_to_rgb_u8(L: np.ndarray, ab_n: torch.Tensor) -> np.ndarray:  # noqa: N803
    """The photo of lightness ``L`` and chrominance ``ab_n`` upsampled to its size, as 8-bit sRGB.

    Inputs: ``L`` (H, W) float32 in [0, 100] (:func:`lightness_u8`); ``ab_n`` (1, 2, h, w) or (2, h, w)
    normalised chrominance (ab / 110) at any size, upsampled bilinearly (``align_corners`` False) to
    (H, W). Returns (H, W, 3) uint8: ``round(255 * lab_to_rgb(cat(L, 110 * upsample(ab_n))))``.
    """
    height, width = L.shape
    small = ab_n.detach().to("cpu", torch.float32).reshape(2, *ab_n.shape[-2:]).numpy()  # (2, h, w)
    first, second, w0, w1 = upsample_rows(width, small.shape[2])  # the horizontal pass, once: (2, h, W)
    wide = np.take(small, first, axis=2) * w0
    wide += np.take(small, second, axis=2) * w1
    ab = (wide[0] * _f32(AB_SCALE / 500.0), wide[1] * _f32(-AB_SCALE / 200.0))  # a / 500, -b / 200
    rows = upsample_rows(height, small.shape[1])
    out = np.empty((height, width, 3), np.uint8)

    def work(band: slice) -> None:
        _rgb_band(L[band], ab, tuple(r[band] for r in rows), out[band])

    _run_bands(work, _bands(height, width))
    return out
