"""Full-reference image quality: PSNR and SSIM per image, computed by scikit-image.

Both compare a prediction with its ground truth, pixel by pixel, so they reward the "safe"
average colour an L1-trained colorizer produces; colourfulness and FID measure what they miss.

Images are ``(N, C, H, W)`` tensors: float in [0, 1], or uint8 in [0, 255] (divided by 255).
Results are float64 tensors ``(N,)`` on the CPU.
"""

from __future__ import annotations

import numpy as np
import torch

__all__ = ["psnr", "ssim", "check_image_batch", "to_unit_float"]

# Float inputs may overshoot [0, 1] by rounding; anything beyond this is a bug (e.g. [-1, 1] images).
_RANGE_TOLERANCE = 1e-3

# Wang et al. 2004: an 11x11 Gaussian window with sigma 1.5; skimage truncates it at 3.5 sigma.
_WANG_SIGMA = 1.5
_WANG_WINDOW = 11
_GAUSSIAN_TRUNCATE = 3.5


def check_image_batch(images: torch.Tensor, name: str = "images", channels: int | None = 3) -> None:
    """Raise unless ``images`` is a uint8 or float tensor (N, C, H, W) with C = ``channels`` (None: any)."""
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor; got {type(images).__name__}")
    expected = f"(N, {channels}, H, W)" if channels is not None else "(N, C, H, W)"
    if images.dim() != 4 or (channels is not None and images.shape[1] != channels):
        raise ValueError(f"{name} must have shape {expected}; got {tuple(images.shape)}")
    if images.dtype != torch.uint8 and not images.is_floating_point():
        raise TypeError(f"{name} must be uint8 or floating point; got {images.dtype}")


def to_unit_float(
    images: torch.Tensor,
    name: str = "images",
    dtype: torch.dtype = torch.float64,
    channels: int | None = 3,
) -> torch.Tensor:
    """Check a batch of images and return it as floats in [0, 1].

    Inputs: ``images`` (N, C, H, W), uint8 in [0, 255] or float in [0, 1]; ``channels`` the
    required C (None: any).
    Returns: (N, C, H, W) of ``dtype`` in [0, 1] (uint8 divided by 255).
    Raises ValueError on a wrong shape or float values outside [0, 1], TypeError on other dtypes.
    """
    check_image_batch(images, name, channels)
    if images.dtype == torch.uint8:
        return images.to(dtype) / 255.0
    if images.numel() > 0:
        low, high = images.min().item(), images.max().item()
        if low < -_RANGE_TOLERANCE or high > 1.0 + _RANGE_TOLERANCE:
            raise ValueError(
                f"{name} must be in [0, 1]; got values in [{low:.3g}, {high:.3g}] "
                "(map tanh outputs with (x + 1) / 2)"
            )
    return images.to(dtype)


def _paired_hwc(pred: torch.Tensor, target: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """(N, C, H, W) pair of equal shapes -> two float64 numpy arrays (N, H, W, C) in [0, 1]."""
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target must have the same shape; got {tuple(pred.shape)} and {tuple(target.shape)}"
        )
    pred_hwc = to_unit_float(pred, "pred", channels=None).permute(0, 2, 3, 1).cpu().numpy()
    target_hwc = to_unit_float(target, "target", channels=None).permute(0, 2, 3, 1).cpu().numpy()
    return pred_hwc, target_hwc


def psnr(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Peak signal-to-noise ratio of each image, in dB.

    Inputs: ``pred``, ``target`` (N, C, H, W) of the same shape, float in [0, 1] or uint8.
    Returns: float64 (N,). Identical images give ``+inf`` (zero error), kept as inf: a batch
    mean is then inf too, so report e.g. ``values.clamp(max=100).mean()`` or the median.
    """
    from skimage.metrics import peak_signal_noise_ratio  # pulls in scipy.stats (~1 s): lazy

    pred_np, target_np = _paired_hwc(pred, target)
    values = []
    for p, t in zip(pred_np, target_np, strict=True):
        with np.errstate(divide="ignore"):  # MSE = 0 -> log10(1 / 0) = +inf, on purpose
            # PSNR = 10 log10(MAX^2 / MSE), MAX = 1 for images in [0, 1]
            values.append(peak_signal_noise_ratio(t, p, data_range=1.0))
    return torch.tensor(values, dtype=torch.float64)


def _ssim_window(height: int, width: int) -> tuple[int, float]:
    """Window side and Gaussian sigma for an image of ``height`` x ``width`` pixels.

    Wang et al. 2004 use an 11x11 Gaussian window with sigma = 1.5. An image smaller than
    11 px gets the largest odd window that fits (down to 1 px), with sigma shrunk so that
    skimage's 3.5-sigma truncation of the Gaussian spans exactly that window.
    """
    side = min(height, width)
    if side >= _WANG_WINDOW:
        return _WANG_WINDOW, _WANG_SIGMA
    window = side if side % 2 == 1 else side - 1
    radius = (window - 1) // 2
    return window, radius / _GAUSSIAN_TRUNCATE


def ssim(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Structural similarity of each image (Wang et al. 2004), averaged over the colour channels.

    Settings of the paper: Gaussian-weighted 11x11 window with sigma = 1.5, population
    covariances, K1 = 0.01, K2 = 0.03, data range 1 (smaller windows for images under 11 px,
    see :func:`_ssim_window`). SSIM of each channel is computed separately and averaged, as
    ``skimage.metrics.structural_similarity(channel_axis=...)`` does.

    Inputs: ``pred``, ``target`` (N, C, H, W) of the same shape, float in [0, 1] or uint8.
    Returns: float64 (N,), 1 for identical images, lower (down to -1) the more they differ.
    """
    from skimage.metrics import structural_similarity  # pulls in scipy.stats (~1 s): lazy

    pred_np, target_np = _paired_hwc(pred, target)
    window, sigma = _ssim_window(pred_np.shape[1], pred_np.shape[2])
    values = [
        # SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 + sigma_y^2 + C2))
        structural_similarity(
            t,
            p,
            data_range=1.0,
            channel_axis=-1,
            gaussian_weights=True,
            sigma=sigma,
            win_size=window,
            use_sample_covariance=False,
        )
        for p, t in zip(pred_np, target_np, strict=True)
    ]
    return torch.tensor(values, dtype=torch.float64)
