"""User-guided colorization (Zhang et al. 2017): click on the photo to place a colour hint, and the
colorization updates; Undo, Clear, a colour picker and a palette (notebook 08)."""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gancolor.color import parse_color
from gancolor.infer.user_hints import Hint
from gancolor.widgets.common import App, hwc_uint8, png_bytes

__all__ = ["HintApp", "PALETTE"]

#: The hint colours offered as buttons next to the colour picker.
PALETTE = ("#c0392b", "#e67e22", "#f1c40f", "#27ae60", "#2e86c1", "#8e44ad",
           "#8d6e63", "#f5cba7", "#7f8c8d", "#ffffff")


def _gray(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> its luma (Rec. 601) repeated on 3 channels, uint8."""
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.repeat(np.round(luma).clip(0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def _rgb(color: Any) -> tuple[int, int, int]:
    """A colour as (r, g, b) ints in [0, 255]: from "#rrggbb", "#rgb" or a triple
    (:func:`gancolor.hints.parse_color`); anything else is a ``ValueError`` naming the forms."""
    try:
        return parse_color(color if isinstance(color, str) else np.asarray(color).reshape(-1).tolist())
    except (ValueError, TypeError):
        forms = "'#rrggbb' or (r, g, b)" + ("" if isinstance(color, str) else " in [0, 255]")
        raise ValueError(f"colour must be {forms}; got {color!r}") from None


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _in_colab() -> bool:
    return "google.colab" in sys.modules


def _enable_colab_widgets() -> None:
    """Colab shows third-party widgets (ipyevents) only with its custom widget manager on."""
    if _in_colab():  # pragma: no cover - Colab only
        from google.colab import output

        output.enable_custom_widget_manager()


class HintApp(App):
    """User-guided colorization: the gray photo and its colorization side by side; a click on
    either image places a colour hint at that pixel and the colorization is recomputed.

    Inputs: ``colorizer``, any object with ``colorize_image(image (H, W, 3) uint8, hints=[Hint, ...]
    or None) -> (H, W, 3) uint8``, e.g. :func:`gancolor.inference.load_colorizer` of a hint
    checkpoint (hints are :class:`gancolor.hints.Hint`, in the photo's pixels); ``image``, the
    photo (colour or gray; :func:`~gancolor.widgets.common.hwc_uint8` formats), shrunk so that its
    long side is at most ``max_size`` px (the time of one update grows with the pixels); ``color``,
    the first hint colour;
    ``hint_size``, the side of a hint's square in image pixels; ``display_width``, the width (CSS px)
    of each image on screen; ``palette``, the colour buttons.

    State, usable without a display: :attr:`hints` (the list, oldest first; :attr:`hint_colors`
    their RGB colours), :attr:`color` (of the next hint),
    :attr:`result` (the current colorization), :meth:`add_hint`, :meth:`undo`, :meth:`clear`,
    :meth:`click` (a browser click event -> a hint, through :meth:`to_pixel`), :meth:`on_change`
    (callbacks after every update), :attr:`latency` (seconds of the last colorization).
    """

    def __init__(self, colorizer: Any, image: Any, color: Any = PALETTE[0], hint_size: int = 5,
                 max_size: int | None = 256, display_width: int = 320,
                 palette: Sequence[str] = PALETTE) -> None:
        array = hwc_uint8(image, "image")
        if max_size is not None and max(array.shape[:2]) > max_size:
            from PIL import Image

            h, w = array.shape[:2]
            scale = max_size / max(h, w)
            size = (max(1, round(w * scale)), max(1, round(h * scale)))
            array = np.asarray(Image.fromarray(array).resize(size, Image.LANCZOS))
        self.colorizer = colorizer
        self.image = np.array(array, dtype=np.uint8, order="C")  # a writable copy (torch.from_numpy)
        self.gray = _gray(self.image)
        self.color = _rgb(color)
        if hint_size < 1:
            raise ValueError(f"hint_size must be at least 1; got {hint_size}")
        self.hint_size = int(hint_size)
        self.display_width = int(display_width)
        self.palette = tuple(_hex(_rgb(c)) for c in palette)
        self.hints: list[Hint] = []
        self.hint_colors: list[tuple[int, int, int]] = []
        self.latency = math.nan
        self._callbacks: list[Callable[[HintApp], None]] = []
        self._ui: dict | None = None
        self.result = self._colorize()

    @property
    def height(self) -> int:
        return self.image.shape[0]

    @property
    def width(self) -> int:
        return self.image.shape[1]

    # -- state -----------------------------------------------------------------------------

    def set_color(self, color: Any) -> tuple[int, int, int]:
        """Choose the colour of the next hints ("#rrggbb" or (r, g, b)); returns it as (r, g, b)."""
        self.color = _rgb(color)
        if self._ui is not None and self._ui["picker"].value != _hex(self.color):
            self._ui["picker"].value = _hex(self.color)
        return self.color

    def add_hint(self, x: int, y: int, color: Any = None, size: int | None = None):
        """Place a hint at pixel column ``x``, row ``y`` (of :attr:`image`) with ``color`` (default:
        :attr:`color`) and ``size`` (default: :attr:`hint_size`); recolorizes; returns the hint."""
        x, y = int(x), int(y)
        if not (0 <= x < self.width and 0 <= y < self.height):
            raise ValueError(f"hint ({x}, {y}) is outside the {self.width}x{self.height} image")
        rgb = self.color if color is None else _rgb(color)
        hint = Hint.from_rgb(x, y, rgb, size=float(self.hint_size if size is None else size))
        self.hints.append(hint)
        self.hint_colors.append(rgb)
        try:
            self._update()
        except Exception:  # e.g. a colorizer without hint inputs: keep the app as it was
            self.hints.pop()
            self.hint_colors.pop()
            self._refresh()
            raise
        return hint

    def undo(self):
        """Remove the last hint and recolorize; returns it (None, and nothing happens, if there is none)."""
        if not self.hints:
            return None
        hint = self.hints.pop()
        self.hint_colors.pop()
        self._update()
        return hint

    def clear(self) -> None:
        """Remove every hint and recolorize (nothing happens if there is none)."""
        if self.hints:
            self.hints.clear()
            self.hint_colors.clear()
            self._update()

    def on_change(self, callback: Callable[[HintApp], None]) -> None:
        """Call ``callback(app)`` after every update of :attr:`result`."""
        self._callbacks.append(callback)

    def to_pixel(self, event: dict) -> tuple[int, int] | None:
        """The image pixel (x, y) of a click event (ipyevents' dict), or None outside the image.

        ipyevents gives ``dataX``/``dataY`` on an Image widget: the position in the PNG's own
        pixels, whatever size the browser draws it at; else the position in the drawn element
        (``relativeX`` or ``offsetX``) is scaled by the image size over ``boundingRectWidth``.
        """
        scale = self._png_zoom()
        if "dataX" in event and "dataY" in event:
            x, y = float(event["dataX"]) / scale, float(event["dataY"]) / scale
            # ipyevents rounds: the right and bottom edges give W and H
            x, y = min(x, self.width - 0.5), min(y, self.height - 0.5)
        else:
            ex = event.get("relativeX", event.get("offsetX"))
            ey = event.get("relativeY", event.get("offsetY"))
            shown_w, shown_h = event.get("boundingRectWidth"), event.get("boundingRectHeight")
            if ex is None or ey is None or not shown_w or not shown_h:
                return None
            x, y = float(ex) * self.width / float(shown_w), float(ey) * self.height / float(shown_h)
        if not (0 <= x < self.width and 0 <= y < self.height):
            return None
        return int(x), int(y)

    def click(self, event: dict):
        """Handle a click event: place a hint where it points; returns the hint, or None."""
        pixel = self.to_pixel(event)
        return None if pixel is None else self.add_hint(*pixel)

    def describe(self) -> str:
        """One line listing the hints: "2 hints: (10, 20) #c0392b, (30, 5) #27ae60"."""
        if not self.hints:
            return "no hints: click on the photo to place one"
        pairs = zip(self.hints, self.hint_colors, strict=True)
        items = ", ".join(f"({h.x:g}, {h.y:g}) {_hex(c)}" for h, c in pairs)
        return f"{len(self.hints)} hint{'s' if len(self.hints) > 1 else ''}: {items}"

    def marked(self) -> np.ndarray:
        """The gray photo with each hint drawn as a square of its colour in a dark/light frame."""
        image = self.gray.copy()
        for hint, rgb in zip(self.hints, self.hint_colors, strict=True):
            color = np.array(rgb, dtype=np.uint8)
            half = max(round(hint.size or self.hint_size), 3) // 2
            x, y = int(round(hint.x)), int(round(hint.y))
            frame = 0 if int(color.astype(int).sum()) > 384 else 255
            image[max(y - half - 1, 0):y + half + 2, max(x - half - 1, 0):x + half + 2] = frame
            image[max(y - half, 0):y + half + 1, max(x - half, 0):x + half + 1] = color
        return image

    def _colorize(self) -> np.ndarray:
        start = time.perf_counter()
        result = self.colorizer.colorize_image(self.image, hints=list(self.hints) or None)
        self.latency = time.perf_counter() - start
        result = hwc_uint8(result, "the colorizer's result")
        if result.shape != self.image.shape:
            raise ValueError(f"the colorizer returned shape {result.shape} for an image of shape "
                             f"{self.image.shape}")
        return result

    def _update(self) -> None:
        if self._ui is not None:
            self._ui["status"].value = "colorizing..."
        self.result = self._colorize()
        self._refresh()
        for callback in self._callbacks:
            callback(self)

    # -- the app ---------------------------------------------------------------------------

    def _png_zoom(self) -> int:
        """Small images are sent enlarged (square pixels), so the browser does not blur them."""
        return max(1, self.display_width // max(self.width, 1))

    def widget(self):
        """The ipywidgets app (built once)."""
        if self._ui is None:
            import ipywidgets as w

            _enable_colab_widgets()
            shown = w.Layout(width=f"{self.display_width}px", height="auto")
            photo = w.Image(format="png", layout=shown)
            output = w.Image(format="png", layout=w.Layout(width=f"{self.display_width}px", height="auto"))
            photo.add_class("gancolor-hint-input")
            output.add_class("gancolor-hint-result")
            picker = w.ColorPicker(value=_hex(self.color), concise=False, description="colour",
                                   layout=w.Layout(width="200px"))
            picker.observe(lambda change: self.set_color(change["new"]), names="value")
            swatches = []
            for color in self.palette:
                swatch = w.Button(tooltip=color, layout=w.Layout(width="26px", height="26px", padding="0",
                                                                 border="1px solid #bbb"))
                swatch.style.button_color = color
                swatch.on_click(lambda _button, color=color: self.set_color(color))
                swatches.append(swatch)
            size = w.IntSlider(value=self.hint_size, min=1, max=15, description="hint size",
                               layout=w.Layout(width="260px"))
            size.observe(lambda change: setattr(self, "hint_size", int(change["new"])), names="value")
            undo = w.Button(description="Undo", icon="undo", layout=w.Layout(width="90px"))
            clear = w.Button(description="Clear", icon="trash", layout=w.Layout(width="90px"))
            undo.on_click(lambda _button: self.undo())
            clear.on_click(lambda _button: self.clear())
            hints = w.Label()
            status = w.Label()
            hints.add_class("gancolor-hint-list")
            status.add_class("gancolor-hint-status")
            titles = w.HBox([w.HTML("<b>gray photo</b>: click to place a hint", layout=shown),
                             w.HTML("<b>colorization</b>", layout=shown)])
            rows = [titles, w.HBox([photo, output]), w.HBox([picker, *swatches]), w.HBox([size, undo, clear]),
                    hints, status]
            events = []
            try:
                from ipyevents import Event
            except ImportError:
                rows.insert(2, w.HTML("<i>Clicks need the ipyevents package (pip install ipyevents, then "
                                      "restart the kernel); meanwhile use app.add_hint(x, y).</i>"))
            else:
                for source in (photo, output):
                    event = Event(source=source, watched_events=["click"], prevent_default_action=True)
                    event.on_dom_event(self._on_click)
                    events.append(event)
            box = w.VBox(rows)
            box.add_class("gancolor-hint-app")
            self._ui = {"photo": photo, "output": output, "picker": picker, "swatches": swatches,
                        "size": size, "undo": undo, "clear": clear, "hints": hints, "status": status,
                        "events": events, "box": box}
            self._refresh()
        return self._ui["box"]

    def _on_click(self, event: dict) -> None:
        try:
            self.click(event)
        except Exception as error:  # shown in the app: an exception in a comm callback is lost
            if self._ui is not None:
                self._ui["status"].value = f"error: {type(error).__name__}: {error}"
            raise

    def _refresh(self) -> None:
        if self._ui is None:
            return
        zoom = self._png_zoom()
        self._ui["photo"].value = png_bytes(self.marked(), zoom)
        self._ui["output"].value = png_bytes(self.result, zoom)
        self._ui["hints"].value = self.describe()
        self._ui["undo"].disabled = self._ui["clear"].disabled = not self.hints
        self._ui["status"].value = (f"{self.width}x{self.height} px, {len(self.hints)} hints, "
                                    f"colorized in {self.latency:.2f} s")

    def __repr__(self) -> str:
        return f"HintApp({self.width}x{self.height}, {len(self.hints)} hints)"
