"""What the widget apps share: images as (H, W, 3) uint8 arrays, PNG bytes for an Image widget, and
display in Jupyter. Internal to :mod:`gancolor.widgets`."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import torch

__all__ = ["App", "hwc_uint8", "png_bytes"]


class App:
    """The base of every app: displaying the object in Jupyter shows its :meth:`widget`."""

    def widget(self) -> Any:
        """The ipywidgets app (built once, on first use)."""
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())


def hwc_uint8(image: Any, name: str) -> np.ndarray:
    """An image as (H, W, 3) uint8 numpy: from numpy (H, W), (H, W, 1) or (H, W, 3), or a torch
    tensor (3, H, W) / (H, W, 3); uint8, or float in [0, 1]. ``name`` names it in errors."""
    if isinstance(image, torch.Tensor):
        image = image.detach().cpu()
        if image.dim() == 3 and image.shape[0] in (1, 3) and image.shape[-1] not in (1, 3):
            image = image.permute(1, 2, 0)
        image = image.numpy()
    array = np.asarray(image)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] != 3 or 0 in array.shape:
        raise ValueError(f"{name} must be an image (H, W, 3) or (H, W); got shape {array.shape}")
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.floating):
            raise TypeError(f"{name} must be uint8 or float in [0, 1]; got {array.dtype}")
        array = np.round(np.clip(array, 0, 1) * 255).astype(np.uint8)
    return np.ascontiguousarray(array)


def png_bytes(array: np.ndarray, zoom: int = 1) -> bytes:
    """(H, W, 3) uint8 -> PNG bytes, enlarged ``zoom`` times with square pixels (no smoothing)."""
    from PIL import Image

    if zoom > 1:
        array = array.repeat(zoom, axis=0).repeat(zoom, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buffer, format="PNG")
    return buffer.getvalue()
