"""Figures: comparison grids and training curves (matplotlib, headless-safe)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import torch

__all__ = ["comparison_grid", "plot_losses", "to_numpy_image"]


def to_numpy_image(image: torch.Tensor):
    """(3, H, W) float in [0, 1] or uint8 -> (H, W, 3) numpy for imshow."""
    if image.dtype == torch.uint8:
        image = image.float() / 255.0
    return image.detach().cpu().clamp(0, 1).permute(1, 2, 0).numpy()


def _figure(**kwargs):
    # matplotlib picks a headless backend (Agg) by itself when there is no display.
    import matplotlib.pyplot as plt

    return plt.subplots(**kwargs)


def comparison_grid(columns: Mapping[str, torch.Tensor], path: str | Path | None = None,
                    cell_inches: float = 1.6, title: str | None = None):
    """One row per image, one column per method (e.g. gray | L1 | GAN | ground truth).

    Inputs: ``columns`` maps a heading to images (N, 3, H, W) in [0, 1] (or uint8); all N equal.
    Writes a PNG when ``path`` is given (atomically); returns the matplotlib Figure.
    """
    names = list(columns)
    rows = len(next(iter(columns.values())))
    fig, axes = _figure(nrows=rows, ncols=len(names), figsize=(cell_inches * len(names), cell_inches * rows),
                        squeeze=False)
    for col, name in enumerate(names):
        for row in range(rows):
            axis = axes[row][col]
            axis.imshow(to_numpy_image(columns[name][row]), interpolation="nearest")
            axis.set_xticks([])
            axis.set_yticks([])
            if row == 0:
                axis.set_title(name, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        _save(fig, path)
    return fig


def plot_losses(losses: Mapping[str, Sequence[float]], steps: Sequence[int] | None = None,
                path: str | Path | None = None, smooth: int = 20):
    """Training curves: one panel per loss, each step's value (thin) and its running mean over
    ``smooth`` steps (thick; the figure's title says so). Returns the Figure; writes ``path`` if given."""
    import numpy as np

    names = list(losses)
    cols = min(4, max(1, len(names)))
    rows = max(1, -(-len(names) // cols))
    fig, axes = _figure(nrows=rows, ncols=cols, figsize=(3.0 * cols, 2.3 * rows), squeeze=False)
    for axis in axes.flat[len(names):]:
        axis.set_visible(False)
    for axis, name in zip(axes.flat, names, strict=False):
        values = np.asarray(losses[name], dtype=float)
        x = np.asarray(steps if steps is not None else range(len(values)))
        axis.plot(x, values, linewidth=0.6, alpha=0.35, color="C0")
        if smooth > 1 and len(values) >= smooth:
            axis.plot(x[smooth - 1:], np.convolve(values, np.ones(smooth) / smooth, mode="valid"),
                      linewidth=1.6, color="C0")
        axis.set_title(name, fontsize=9)
        axis.tick_params(labelsize=7)
        axis.set_xlabel("step", fontsize=7)
    fig.suptitle(f"thin: the loss of each step; thick: its running mean over {smooth} steps", fontsize=9)
    fig.tight_layout()
    if path is not None:
        _save(fig, path)
    return fig


def _save(fig, path: str | Path) -> None:
    """Write ``fig`` to the image file ``path`` (any extension of :data:`gancolor.imageio.IMAGE_EXTENSIONS`)
    through :func:`gancolor.imageio.write_image`: atomic and verified, one-line errors."""
    import io

    import numpy as np
    from PIL import Image

    from gancolor.imageio import write_image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    buffer.seek(0)
    with Image.open(buffer) as rendered:
        rgb = np.asarray(rendered.convert("RGB"))
    write_image(path, rgb)
