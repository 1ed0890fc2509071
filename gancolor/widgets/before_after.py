"""A slider that reveals one image over another (colorized over gray), to compare two images of the
same size column by column (notebook 08)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from gancolor.widgets.common import App, hwc_uint8, png_bytes

__all__ = ["BeforeAfter"]


class BeforeAfter(App):
    """Compare two images of the same size with a slider that reveals ``after`` over ``before``.

    At ``position`` p in [0, 1] the columns left of ``cut = round(p * W)`` come from ``after``, the
    others from ``before``: 0 shows ``before`` only, 1 ``after`` only. ``labels`` name the two
    images (``(before, after)``); ``zoom`` enlarges the display (nearest neighbour).

    Logic without a display: :meth:`composite` (the image shown for a position), :attr:`position`.
    In Jupyter, display the object (or :meth:`widget`).
    """

    def __init__(self, before: Any, after: Any, labels: Sequence[str] = ("gray", "colorized"),
                 position: float = 0.5, zoom: int = 1, divider: bool = True) -> None:
        self.before = hwc_uint8(before, "before")
        self.after = hwc_uint8(after, "after")
        if self.before.shape != self.after.shape:
            raise ValueError(f"before and after must have the same size; got {self.before.shape} and "
                             f"{self.after.shape}")
        if len(labels) != 2:
            raise ValueError(f"labels must be two names (before, after); got {labels!r}")
        self.labels = (str(labels[0]), str(labels[1]))
        self.zoom = int(zoom)
        self.divider = divider
        self._position = 0.0
        self._ui: dict | None = None
        self.position = position

    @property
    def position(self) -> float:
        return self._position

    @position.setter
    def position(self, value: float) -> None:
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"position must be in [0, 1]; got {value}")
        self._position = value
        self._refresh()

    def cut(self, position: float | None = None) -> int:
        """The first column of ``before`` shown at ``position`` (default: the current one)."""
        position = self._position if position is None else float(position)
        return int(round(min(max(position, 0.0), 1.0) * self.before.shape[1]))

    def composite(self, position: float | None = None, divider: bool = False) -> np.ndarray:
        """The (H, W, 3) uint8 image shown at ``position``: ``after`` left of the cut, ``before`` right.

        ``divider=True`` paints the first column of ``before`` white, so the cut is visible.
        """
        cut = self.cut(position)
        image = self.before.copy()
        image[:, :cut] = self.after[:, :cut]
        if divider and 0 < cut < image.shape[1]:
            image[:, cut] = 255
        return image

    def widget(self):
        """The ipywidgets app (built once): the image, a slider, a caption."""
        if self._ui is None:
            import ipywidgets as w

            image = w.Image(format="png")
            image.add_class("gancolor-before-after")
            slider = w.FloatSlider(value=self._position, min=0.0, max=1.0, step=0.01, readout=False,
                                   description="reveal", layout=w.Layout(width="320px"))
            slider.observe(lambda change: setattr(self, "position", change["new"]), names="value")
            caption = w.Label(f"left of the line: {self.labels[1]} · right: {self.labels[0]}")
            self._ui = {"image": image, "slider": slider, "caption": caption,
                        "box": w.VBox([image, slider, caption])}
            self._refresh()
        return self._ui["box"]

    def _refresh(self) -> None:
        if self._ui is None:
            return
        self._ui["image"].value = png_bytes(self.composite(divider=self.divider), self.zoom)
        if self._ui["slider"].value != self._position:
            self._ui["slider"].value = self._position

    def __repr__(self) -> str:
        h, w, _ = self.before.shape
        return (f"BeforeAfter({w}x{h}, {self.labels[0]!r} -> {self.labels[1]!r}, "
                f"position {self._position:.2f})")
