"""Training you can watch: at every checkpoint the curves and sample images, and TensorBoard events.

:func:`gancolor.train.fit` calls a :class:`TrainingMonitor` (on rank 0 only):

* every step, :meth:`~TrainingMonitor.log_step`: the losses as TensorBoard scalars (``--tensorboard``);
* at every checkpoint and at the end, :meth:`~TrainingMonitor.checkpoint`: ``losses.png`` (one panel
  per loss, each step and its running mean, the smoothing stated) and ``samples_STEP.png``, the
  task's :meth:`preview` of fixed held-out images (e.g. input | output | truth), also sent to
  TensorBoard as the image ``samples``.

In Colab: ``%load_ext tensorboard`` then ``%tensorboard --logdir runs`` shows every run under ``runs/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Protocol

import torch

from gancolor.errors import UserError
from gancolor.train.selection import BestOnValidation
from gancolor.viz import comparison_grid, plot_losses

__all__ = ["TrainingMonitor", "Previewable", "center_crops", "sample_file_name"]


class Previewable(Protocol):
    """A trainer that shows what it does on fixed held-out inputs."""

    step: int

    def preview(self, data: Any) -> dict[str, torch.Tensor]:
        """Columns of images, e.g. {"input", "output", "truth"}, each (N, 3, H, W) in [0, 1]."""
        ...


def center_crops(images: torch.Tensor, size: int) -> torch.Tensor:
    """The central ``size`` x ``size`` window of each image: (N, C, H, W) -> (N, C, size, size).

    Smaller images are refused (a ``ValueError``)."""
    height, width = images.shape[-2:]
    if height < size or width < size:
        raise ValueError(f"images of {height}x{width} px are smaller than {size} px")
    top, left = (height - size) // 2, (width - size) // 2
    return images[..., top:top + size, left:left + size]


def sample_file_name(step: int) -> str:
    """``samples_000500.png``: the sample grid after ``step`` steps (zero-padded, so files sort by step)."""
    return f"samples_{step:06d}.png"


def _summary_writer(log_dir: Path) -> Any:
    """TensorBoard's writer for ``log_dir``, or a one-line ``UserError`` when tensorboard is missing."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:  # torch's writer needs the tensorboard package
        raise UserError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    return SummaryWriter(log_dir=str(log_dir))


def _grid_image(columns: dict[str, torch.Tensor]) -> torch.Tensor:
    """One image (3, N * H, C * W) in [0, 1]: row i shows image i of every column, left to right."""
    unit = [column / 255.0 if column.dtype == torch.uint8 else column.float().clamp(0, 1)
            for column in columns.values()]
    return torch.cat([torch.cat([column[i] for column in unit], dim=-1) for i in range(len(unit[0]))],
                     dim=-2).cpu()


class TrainingMonitor:
    """Writes a run's curves and samples into ``out_dir`` at every checkpoint (see the module docstring).

    Inputs: ``out_dir`` the run's folder; ``preview_data`` what the trainer's ``preview`` takes
    (held-out images for the conditional tasks: None writes no samples; DCGAN shows fixed-noise
    samples and needs none);
    ``tensorboard``: also write TensorBoard events into ``out_dir``; ``smooth``: the running mean
    of the curves, in steps; ``selection``: scores the model on held-out data at every checkpoint and
    keeps the best one (:class:`gancolor.train.selection.BestOnValidation`; None: no selection).
    """

    def __init__(self, out_dir: str | os.PathLike, preview_data: Any = None, tensorboard: bool = False,
                 smooth: int = 20, selection: BestOnValidation | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.preview_data = preview_data
        self.smooth = smooth
        self.selection = selection
        self.writer = _summary_writer(self.out_dir) if tensorboard else None

    def log_step(self, step: int, losses: dict[str, float]) -> None:
        """The losses of ``step`` as TensorBoard scalars ``loss/NAME`` (nothing without TensorBoard)."""
        if self.writer is not None:
            for name, value in losses.items():
                self.writer.add_scalar(f"loss/{name}", value, step)

    def checkpoint(self, task: Previewable, history: Any) -> list[Path]:
        """Write ``losses.png`` and ``samples_STEP.png`` after ``task.step`` steps, and score the model for
        the selection (if any); returns the paths of the figures."""
        import matplotlib.pyplot as plt

        if self.selection is not None:
            score = self.selection.checkpoint(task)
            if self.writer is not None:
                self.writer.add_scalar("validation/score", score, task.step)
        written = []
        if history.steps:
            figure = plot_losses(history.losses, history.steps, path=self.out_dir / "losses.png",
                                 smooth=self.smooth)
            plt.close(figure)
            written.append(self.out_dir / "losses.png")
        if self.preview_data is None and getattr(task, "preview_needs_data", True):
            return written  # nothing held out to show
        columns = task.preview(self.preview_data)
        path = self.out_dir / sample_file_name(task.step)
        figure = comparison_grid(columns, path=path, title=f"{type(task).__name__} after {task.step} steps")
        plt.close(figure)
        written.append(path)
        if self.writer is not None:
            self.writer.add_image("samples", _grid_image(columns), task.step)
            self.writer.flush()
        return written

    def close(self) -> None:
        """Flush and close the TensorBoard writer (if any)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
