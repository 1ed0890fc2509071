"""Region-controlled style transfer: stylize a photo only where a mask says, with a soft edge.

A mask is a gray image: white = fully stylized, black = left as it was, gray = partly. It is
resized to the photo, its edge is **feathered** (blurred over ``feather`` pixels on each side), and
the stylized photo is blended with the original, per pixel, in the photo's own sRGB values:

    w      = feather(resize(mask) / 255)                     (H, W) in [0, 1]
    output = original + w * (stylized - original)            = (1 - w) original + w stylized

It is the full-resolution trick of :mod:`gancolor.infer.stylizer` once more: the stylizer's change
``stylized - original`` is added back, only now scaled by ``w``. Where ``w = 0`` the output is the
input exactly; where ``w = 1`` it is the full stylization; across the edge a smooth ramp. Feathering
is a Gaussian blur with sigma = ``feather / 2`` cut at 2 sigma, so a pixel farther than ``feather``
pixels from the mask's edge keeps the mask's own value, and a hard black/white edge becomes a ramp
``2 * feather`` pixels wide, centred on the edge (w = 0.5 on it).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from gancolor.errors import ImageReadError
from gancolor.imageio import read_image

__all__ = ["DEFAULT_FEATHER", "blend_region", "feather_mask", "read_mask", "resize_mask"]

#: Default feather radius (pixels of the photo): a ramp of 2 x 8 = 16 px across the mask's edge.
DEFAULT_FEATHER = 8.0


def read_mask(path: str | Path) -> np.ndarray:
    """Decode the mask image at ``path`` as (h, w) uint8 (any size; colour masks are turned to gray,
    a transparent pixel counts as black). Raises :class:`~gancolor.errors.ImageReadError` naming the
    file (missing, empty, not an image, corrupt)."""
    loaded = read_image(path)
    rgb = loaded.rgb.astype(np.float32)
    gray = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]  # ITU-R 601 luma
    if loaded.alpha is not None:
        gray = gray * (loaded.alpha.astype(np.float32) / 255.0)
    return np.clip(np.round(gray), 0, 255).astype(np.uint8)


def resize_mask(mask: np.ndarray, size: tuple[int, int], path: str | Path = "mask") -> np.ndarray:
    """The (h, w) uint8 ``mask`` stretched to ``size`` = (H, W) as float32 weights in [0, 1].

    Bilinear (antialiased when shrinking). ``path`` names the mask in the error raised when its
    shape differs from the photo's by more than a factor of 2 in aspect ratio (a mask drawn for
    another photo)."""
    mask = np.asarray(mask)
    if mask.ndim != 2 or mask.dtype != np.uint8 or min(mask.shape) == 0:
        raise ValueError(f"mask must be a non-empty (h, w) uint8 array; got {mask.shape} {mask.dtype}")
    height, width = size
    ratio = (mask.shape[1] / mask.shape[0]) / (width / height)
    if not 0.5 <= ratio <= 2.0:
        raise ImageReadError(path, f"mask is {mask.shape[1]}x{mask.shape[0]}, a different shape from the "
                                   f"{width}x{height} photo (aspect ratios differ by more than 2x)")
    if mask.shape != (height, width):
        mask = np.asarray(Image.fromarray(mask).resize((width, height), Image.Resampling.BILINEAR))
    return mask.astype(np.float32) / 255.0


def feather_mask(weights: np.ndarray, feather: float = DEFAULT_FEATHER) -> np.ndarray:
    """Soften the edge of ``weights`` (H, W) float in [0, 1]: a Gaussian blur, sigma = ``feather`` / 2,
    cut at 2 sigma (edges of the photo reflected). ``feather`` 0 leaves the mask as it is.

    Returns (H, W) float32 in [0, 1]: pixels farther than ``feather`` from any change of the mask keep
    their value; a hard edge becomes a ramp from 0 to 1 over 2 x ``feather`` pixels."""
    if feather < 0:
        raise ValueError(f"feather must be >= 0 pixels; got {feather}")
    from scipy.ndimage import gaussian_filter

    weights = np.asarray(weights, dtype=np.float32)
    if feather == 0:
        return weights.clip(0.0, 1.0)
    soft = gaussian_filter(weights, sigma=feather / 2.0, truncate=2.0, mode="reflect")
    return soft.clip(0.0, 1.0).astype(np.float32)


def blend_region(original: np.ndarray, stylized: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """``original + weights * (stylized - original)``, per pixel, in sRGB values, rounded to uint8.

    Inputs: ``original``, ``stylized`` (H, W, 3) uint8; ``weights`` (H, W) float in [0, 1]
    (1 = stylized). Returns (H, W, 3) uint8: the original where weights = 0, the stylized photo where
    weights = 1."""
    if original.shape != stylized.shape or original.shape[:2] != np.shape(weights):
        raise ValueError(f"original {original.shape}, stylized {stylized.shape} and weights "
                         f"{np.shape(weights)} must have the same height and width")
    x = original.astype(np.float32)
    w = np.asarray(weights, dtype=np.float32)[..., None]
    return np.clip(np.round(x + w * (stylized.astype(np.float32) - x)), 0, 255).astype(np.uint8)
