"""sRGB (D65) <-> CIE Lab in PyTorch: batched, differentiable, any dtype and device.

Tensors are channel-first: ``(..., 3, H, W)`` (any number of leading batch dims, the
colour axis third from the end). RGB values are in [0, 1]; Lab has L in [0, 100] and
a, b roughly in [-110, 110].

The constants are those of the sRGB standard (IEC 61966-2-1) and of CIE 1976 L*a*b*
with the D65 2-degree white, the same ones ``skimage.color`` uses, so the two agree to
~1e-10 in float64.

Networks see normalised values: colorizers Lab (see :func:`normalize_lab`), the RGB networks
(stylizers, DCGAN) RGB in [-1, 1] (see :func:`uint8_to_signed`)::

    L_n   = L / 50 - 1         in [-1, 1]
    ab_n  = ab / 110           in about [-1, 1]
    rgb_n = rgb / 127.5 - 1    in [-1, 1], from stored uint8 RGB in [0, 255]

The pixel-range conversions (:func:`uint8_to_signed` and its inverse, :func:`uint8_to_unit` ...)
and the parser of user colours (:func:`parse_color`) live here too, once for the package.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

__all__ = [
    "rgb_to_lab",
    "lab_to_rgb",
    "normalize_lab",
    "denormalize_lab",
    "normalize_lightness",
    "denormalize_lightness",
    "normalize_ab",
    "denormalize_ab",
    "rgb_to_lab_normalized",
    "lab_normalized_to_rgb",
    "rotate_hue",
    "uint8_to_unit",
    "unit_to_uint8",
    "uint8_to_signed",
    "signed_to_uint8",
    "unit_to_signed",
    "signed_to_unit",
    "parse_color",
    "L_SCALE",
    "AB_SCALE",
]

#: L / 50 - 1 maps L in [0, 100] to [-1, 1].
L_SCALE = 50.0
#: ab / 110 maps the a, b range of sRGB colours into about [-1, 1].
AB_SCALE = 110.0

# Linear sRGB -> XYZ (D65), rows give X, Y, Z.
_XYZ_FROM_RGB = (
    (0.412453, 0.357580, 0.180423),
    (0.212671, 0.715160, 0.072169),
    (0.019334, 0.119193, 0.950227),
)
# Reference white D65, 2-degree observer.
_WHITE_D65 = (0.95047, 1.0, 1.08883)

# CIE Lab: f(t) = t^(1/3) above (6/29)^3, else a line that joins it (the 1976 definition
# with the rounded constants that skimage uses).
_EPSILON = 0.008856
_KAPPA_SLOPE = 7.787
_F_OFFSET = 16.0 / 116.0
_F_INV_THRESHOLD = 0.2068966


def _color_matrix(values, like: torch.Tensor) -> torch.Tensor:
    return torch.tensor(values, dtype=like.dtype, device=like.device)


def _apply_matrix(matrix: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Multiply every pixel's colour vector by ``matrix``: x is (..., 3, H, W).

    A plain matmul over the flattened pixels: on CPU much faster than the equivalent einsum.
    """
    return (matrix @ x.flatten(-2)).view_as(x)


def _check_color_axis(x: torch.Tensor, name: str) -> None:
    if x.dim() < 3 or x.shape[-3] != 3:
        raise ValueError(f"{name} must have shape (..., 3, H, W); got {tuple(x.shape)}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a floating-point tensor; got {x.dtype}")


def srgb_to_linear(rgb: torch.Tensor) -> torch.Tensor:
    """Undo the sRGB gamma: c <= 0.04045 -> c / 12.92, else ((c + 0.055) / 1.055) ** 2.4."""
    safe = torch.clamp(rgb, min=0.04045)  # keeps pow's gradient finite on the other branch
    return torch.where(rgb > 0.04045, ((safe + 0.055) / 1.055) ** 2.4, rgb / 12.92)


def linear_to_srgb(linear: torch.Tensor) -> torch.Tensor:
    """Apply the sRGB gamma: c <= 0.0031308 -> 12.92 c, else 1.055 c^(1/2.4) - 0.055."""
    safe = torch.clamp(linear, min=0.0031308)
    return torch.where(linear > 0.0031308, 1.055 * safe ** (1 / 2.4) - 0.055, 12.92 * linear)


def _lab_f(t: torch.Tensor) -> torch.Tensor:
    safe = torch.clamp(t, min=_EPSILON)
    return torch.where(t > _EPSILON, safe ** (1 / 3), _KAPPA_SLOPE * t + _F_OFFSET)


def _lab_f_inverse(f: torch.Tensor) -> torch.Tensor:
    return torch.where(f > _F_INV_THRESHOLD, f**3, (f - _F_OFFSET) / _KAPPA_SLOPE)


def rgb_to_lab(rgb: torch.Tensor) -> torch.Tensor:
    """Convert sRGB to CIE Lab (D65).

    Inputs: ``rgb`` (..., 3, H, W), values in [0, 1], float32 or float64.
    Returns: Lab of the same shape and dtype; L in [0, 100], a and b in about [-110, 110].
    """
    _check_color_axis(rgb, "rgb")
    linear = srgb_to_linear(rgb)
    xyz = _apply_matrix(_color_matrix(_XYZ_FROM_RGB, rgb), linear)
    white = _color_matrix(_WHITE_D65, rgb).view(3, 1, 1)
    fx, fy, fz = _lab_f(xyz / white).unbind(dim=-3)
    L = 116.0 * fy - 16.0  # noqa: N806 (the colour science name)
    a = 500.0 * (fx - fy)
    b = 200.0 * (fy - fz)
    return torch.stack((L, a, b), dim=-3)


def lab_to_rgb(lab: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """Convert CIE Lab (D65) to sRGB.

    Inputs: ``lab`` (..., 3, H, W) with L in [0, 100].
    Returns: RGB of the same shape and dtype, in [0, 1] when ``clip`` (colours outside the
    sRGB gamut are clipped per channel, as skimage does).
    """
    _check_color_axis(lab, "lab")
    L, a, b = lab.unbind(dim=-3)  # noqa: N806
    fy = (L + 16.0) / 116.0
    fx = fy + a / 500.0
    fz = torch.clamp(fy - b / 200.0, min=0.0)  # negative Z is outside any gamut
    white = _color_matrix(_WHITE_D65, lab).view(3, 1, 1)
    xyz = _lab_f_inverse(torch.stack((fx, fy, fz), dim=-3)) * white
    rgb_from_xyz = torch.linalg.inv(_color_matrix(_XYZ_FROM_RGB, lab).double()).to(lab.dtype)
    rgb = linear_to_srgb(_apply_matrix(rgb_from_xyz, xyz))
    return rgb.clamp(0.0, 1.0) if clip else rgb


def normalize_lightness(L: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """CIE L in [0, 100] -> ``L_n = L / 50 - 1`` in [-1, 1], any shape."""
    return L / L_SCALE - 1.0


def denormalize_lightness(L_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """``L_n`` in [-1, 1] -> CIE L = (L_n + 1) * 50 in [0, 100], any shape."""
    return (L_n + 1.0) * L_SCALE


def normalize_ab(ab: torch.Tensor) -> torch.Tensor:
    """Chrominance a, b (about [-110, 110]) -> ``ab_n = ab / 110`` in about [-1, 1], any shape."""
    return ab / AB_SCALE


def denormalize_ab(ab_n: torch.Tensor) -> torch.Tensor:
    """``ab_n`` -> chrominance ab = ab_n * 110, any shape."""
    return ab_n * AB_SCALE


def normalize_lab(lab: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split Lab (..., 3, H, W) into the network's inputs and targets.

    Returns: ``L_n`` (..., 1, H, W) = L / 50 - 1 in [-1, 1] and ``ab_n`` (..., 2, H, W) = ab / 110.
    """
    return normalize_lightness(lab[..., :1, :, :]), normalize_ab(lab[..., 1:, :, :])


def denormalize_lab(L_n: torch.Tensor, ab_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """Join normalised ``L_n`` (..., 1, H, W) and ``ab_n`` (..., 2, H, W) back into Lab (..., 3, H, W)."""
    return torch.cat((denormalize_lightness(L_n), denormalize_ab(ab_n)), dim=-3)


def rgb_to_lab_normalized(rgb: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """sRGB (..., 3, H, W) in [0, 1] -> (L_n (..., 1, H, W) in [-1, 1], ab_n (..., 2, H, W))."""
    return normalize_lab(rgb_to_lab(rgb))


def lab_normalized_to_rgb(L_n: torch.Tensor, ab_n: torch.Tensor) -> torch.Tensor:  # noqa: N803
    """Normalised (L_n, ab_n) -> sRGB (..., 3, H, W) in [0, 1]."""
    return lab_to_rgb(denormalize_lab(L_n, ab_n))


def rotate_hue(ab: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Turn each image's colours round the hue circle, keeping lightness and chroma.

    Inputs: ``ab`` (N, 2, H, W) chrominance (any unit: Lab or ab_n); ``angles`` (N,) radians.
    Returns: (N, 2, H, W), every (a, b) rotated by its image's angle about the gray axis (a red
    apple turns green at pi, a blue sky yellow). Colours may leave the sRGB gamut slightly.
    """
    cos, sin = torch.cos(angles).to(ab).view(-1, 1, 1), torch.sin(angles).to(ab).view(-1, 1, 1)
    a, b = ab.unbind(dim=1)
    return torch.stack((cos * a - sin * b, sin * a + cos * b), dim=1)


# ---------------------------------------------------------------------------------------------
# Pixel ranges: stored uint8 in [0, 255], float RGB in [0, 1] ("unit"), the networks' [-1, 1] ("signed")


def uint8_to_unit(images: torch.Tensor) -> torch.Tensor:
    """Stored pixels -> float: uint8 in [0, 255] (any shape) -> float32 in [0, 1]."""
    return images.float().div(255.0)


def unit_to_uint8(x: torch.Tensor) -> torch.Tensor:
    """Float pixels -> stored: [0, 1] (any shape) -> uint8 in [0, 255], rounded (beyond it: clamped)."""
    return x.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)


def uint8_to_signed(images: torch.Tensor) -> torch.Tensor:
    """What an RGB network sees: uint8 in [0, 255] (any shape) -> ``x / 127.5 - 1``, float32 in [-1, 1]."""
    return images.float().div(127.5).sub_(1.0)


def signed_to_uint8(x: torch.Tensor) -> torch.Tensor:
    """An RGB network's output back to pixels: [-1, 1] (any shape) -> ``(x + 1) * 127.5`` as uint8,
    rounded (out-of-range values clamped). The inverse of :func:`uint8_to_signed`."""
    return x.add(1.0).mul_(127.5).round_().clamp_(0, 255).to(torch.uint8)


def unit_to_signed(x: torch.Tensor) -> torch.Tensor:
    """Float RGB in [0, 1] (any shape) -> ``2 x - 1`` in [-1, 1]."""
    return x * 2.0 - 1.0


def signed_to_unit(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] (any shape) -> ``(x + 1) / 2`` in [0, 1], clamped (a tanh output shown as an image)."""
    return x.add(1.0).mul_(0.5).clamp_(0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# User colours


def parse_color(color: Sequence[float] | str) -> tuple[int, int, int]:
    """An sRGB colour as (r, g, b) 0-255 ints, from "#rrggbb", "#rgb" (the "#" optional) or 3 numbers
    in [0, 255] (a list, tuple or 1-d array; rounded).

    Raises ``ValueError`` with the reason for anything else (colour names such as "red" included).
    """
    from PIL import ImageColor  # Pillow is needed here only: `import gancolor.color` stays light

    problem = f"bad color {color!r} (use \"#rrggbb\" or [r, g, b] with 0-255 values)"
    if isinstance(color, str):
        digits = color.strip().removeprefix("#")
        if len(digits) not in (3, 6) or any(d not in "0123456789abcdefABCDEF" for d in digits):
            raise ValueError(problem)
        return ImageColor.getrgb(f"#{digits}")[:3]  # type: ignore[return-value]
    values = color.tolist() if hasattr(color, "tolist") else color
    if (not isinstance(values, (list, tuple)) or len(values) != 3
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            or not all(0 <= v <= 255 for v in values)):
        raise ValueError(problem)
    return tuple(int(round(v)) for v in values)  # type: ignore[return-value]
