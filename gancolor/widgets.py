"""Small ipywidgets apps for the notebooks.

- :class:`RealOrFake`: a blind test, "real photo or colorized?", reporting the *fool rate*
  (the fraction of colorized images judged real), the human evaluation of Zhang et al. 2016's
  "colorization Turing test".
- :class:`BeforeAfter`: a slider that reveals one image over another (colorized over gray).
- :class:`HintApp`: user-guided colorization (Zhang et al. 2017): click on the photo to place a
  colour hint, the colorization updates; Undo, Clear, a colour picker and a palette.
- :class:`GANPlayground`: train a toy GAN on the ring of 8 Gaussians with a loss, learning rate
  and number of steps of your choice, and see its samples (notebook 01).

The logic of every app is plain Python (``answer``, ``composite``, ``add_hint``, ``run`` ...),
so it runs and is tested without a browser; ipywidgets (and ipyevents, for mouse clicks) are
imported only when an app is built or displayed.
"""

from __future__ import annotations

import io
import math
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch

from gancolor.hints import Hint

__all__ = ["RealOrFake", "BeforeAfter", "HintApp", "GANPlayground", "PALETTE"]

REAL, COLORIZED = "real", "colorized"
ANSWERS = (REAL, COLORIZED)


def _as_uint8(images: torch.Tensor, name: str) -> torch.Tensor:
    """(N, 3, H, W) uint8, or float in [0, 1] -> uint8 on the CPU."""
    if not isinstance(images, torch.Tensor) or images.dim() != 4 or images.shape[1] != 3:
        shape = tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__
        raise ValueError(f"{name} must be a tensor of shape (N, 3, H, W); got {shape}")
    images = images.detach().cpu()
    if images.dtype == torch.uint8:
        return images
    if not images.is_floating_point():
        raise TypeError(f"{name} must be uint8 or float in [0, 1]; got {images.dtype}")
    return images.clamp(0, 1).mul(255).round().to(torch.uint8)


def _png(image: torch.Tensor, zoom: int) -> bytes:
    """(3, H, W) uint8 -> PNG bytes, enlarged ``zoom`` times with square pixels (no smoothing)."""
    from PIL import Image

    array = image.permute(1, 2, 0).numpy()
    if zoom > 1:
        array = array.repeat(zoom, axis=0).repeat(zoom, axis=1)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array)).save(buffer, format="PNG")
    return buffer.getvalue()


class RealOrFake:
    """Blind real-or-colorized test: one image at a time, in a random order; the viewer answers.

    Inputs: ``real_images`` and ``fake_images`` (N, 3, H, W), uint8 or float in [0, 1] (show
    real and colorized versions of *different* photos, or the pair gives the answer away);
    ``seed`` fixes the order; ``zoom`` enlarges the display (nearest neighbour).

    State, usable without a display: :attr:`current` (the image to judge, or None when
    :attr:`done`), :meth:`answer` (``"real"`` or ``"colorized"``), :attr:`answers` (one
    ``(is_real, judged_real)`` pair per answer), :attr:`fool_rate` and :attr:`accuracy`.
    In Jupyter, display the object (or :meth:`widget`) for the image, two buttons and a score.
    """

    def __init__(self, real_images: torch.Tensor, fake_images: torch.Tensor, seed: int = 0,
                 zoom: int = 4) -> None:
        real = _as_uint8(real_images, "real_images")
        fake = _as_uint8(fake_images, "fake_images")
        if real.shape[1:] != fake.shape[1:]:
            raise ValueError(f"real and fake images must have the same size; got {tuple(real.shape[1:])} "
                             f"and {tuple(fake.shape[1:])}")
        if len(real) + len(fake) == 0:
            raise ValueError("no images to judge")
        self.zoom = int(zoom)
        images = torch.cat([real, fake])
        is_real = [True] * len(real) + [False] * len(fake)
        order = np.random.default_rng(seed).permutation(len(images))
        self._images = images[torch.from_numpy(order)]
        self._is_real = [is_real[i] for i in order]
        self.answers: list[tuple[bool, bool]] = []
        self._ui: dict | None = None

    # -- the game ------------------------------------------------------------------------

    @property
    def n_questions(self) -> int:
        return len(self._is_real)

    @property
    def done(self) -> bool:
        return len(self.answers) == self.n_questions

    @property
    def current(self) -> torch.Tensor | None:
        """The image to judge now, (3, H, W) uint8, or None when every image has been judged."""
        return None if self.done else self._images[len(self.answers)]

    def answer(self, label: str) -> bool:
        """Judge the current image ``"real"`` or ``"colorized"``; returns whether that was right."""
        if label not in ANSWERS:
            raise ValueError(f"answer must be one of {ANSWERS}; got {label!r}")
        if self.done:
            raise RuntimeError("every image has been judged already")
        is_real = self._is_real[len(self.answers)]
        judged_real = label == REAL
        self.answers.append((is_real, judged_real))
        self._refresh()
        return is_real == judged_real

    def play(self, judge: Callable[[torch.Tensor], str]) -> RealOrFake:
        """Answer every remaining image with ``judge(image)``, (3, H, W) uint8 -> label; returns self."""
        while not self.done:
            self.answer(judge(self.current))
        return self

    @property
    def fool_rate(self) -> float:
        """Fraction of the colorized images answered so far that were judged real (NaN before any)."""
        judged = [judged_real for is_real, judged_real in self.answers if not is_real]
        return sum(judged) / len(judged) if judged else math.nan

    @property
    def accuracy(self) -> float:
        """Fraction of right answers so far (NaN before any)."""
        right = [is_real == judged_real for is_real, judged_real in self.answers]
        return sum(right) / len(right) if right else math.nan

    def summary(self) -> str:
        """One line: progress, and the fool rate once the game is over."""
        n_fake = sum(not is_real for is_real in self._is_real)
        if not self.done:
            return f"image {len(self.answers) + 1} of {self.n_questions}: real photo or colorized?"
        fooled = sum(judged for is_real, judged in self.answers if not is_real)
        rate = f"{100 * self.fool_rate:.0f}%" if n_fake else "-"
        return (f"done: {fooled} of {n_fake} colorized images judged real (fool rate {rate}); "
                f"{sum(r == j for r, j in self.answers)} of {self.n_questions} answers right")

    # -- the app -------------------------------------------------------------------------

    def widget(self):
        """The ipywidgets app (built once): the image, buttons "real" and "colorized", a score line."""
        if self._ui is None:
            import ipywidgets as w

            image = w.Image(format="png")
            buttons = {label: w.Button(description=label, button_style=style)
                       for label, style in ((REAL, "success"), (COLORIZED, "warning"))}
            for label, button in buttons.items():
                button.on_click(lambda _button, label=label: self.answer(label))
            status = w.Label()
            self._ui = {"image": image, "buttons": buttons, "status": status,
                        "box": w.VBox([image, w.HBox(list(buttons.values())), status])}
            self._refresh()
        return self._ui["box"]

    def _refresh(self) -> None:
        if self._ui is None:
            return
        image = self.current
        if image is not None:
            self._ui["image"].value = _png(image, self.zoom)
        for button in self._ui["buttons"].values():
            button.disabled = self.done
        self._ui["status"].value = self.summary()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())

    def __repr__(self) -> str:
        return f"RealOrFake({self.n_questions} images, {len(self.answers)} judged)"


# -- shared helpers ----------------------------------------------------------------------


def _hwc_uint8(image: Any, name: str) -> np.ndarray:
    """An image as (H, W, 3) uint8 numpy: from numpy (H, W), (H, W, 1) or (H, W, 3), or a torch
    tensor (3, H, W) / (H, W, 3); uint8, or float in [0, 1]."""
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


def _png_hwc(array: np.ndarray, zoom: int = 1) -> bytes:
    """(H, W, 3) uint8 -> PNG bytes, enlarged ``zoom`` times with square pixels."""
    return _png(torch.from_numpy(np.ascontiguousarray(array)).permute(2, 0, 1), zoom)


def _gray(rgb: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> its luma (Rec. 601) repeated on 3 channels, uint8."""
    luma = rgb.astype(np.float32) @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    return np.repeat(np.round(luma).clip(0, 255).astype(np.uint8)[:, :, None], 3, axis=2)


def _rgb(color: Any) -> tuple[int, int, int]:
    """A colour as (r, g, b) ints in [0, 255]: from "#rrggbb", "#rgb" or a triple."""
    if isinstance(color, str):
        text = color.strip().lstrip("#")
        if len(text) == 3:
            text = "".join(c * 2 for c in text)
        if len(text) != 6:
            raise ValueError(f"colour must be '#rrggbb' or (r, g, b); got {color!r}")
        try:
            return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)
        except ValueError:
            raise ValueError(f"colour must be '#rrggbb' or (r, g, b); got {color!r}") from None
    values = tuple(int(v) for v in np.asarray(color).reshape(-1))
    if len(values) != 3 or not all(0 <= v <= 255 for v in values):
        raise ValueError(f"colour must be '#rrggbb' or (r, g, b) in [0, 255]; got {color!r}")
    return values  # type: ignore[return-value]


def _hex(color: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*color)


def _in_colab() -> bool:
    return "google.colab" in sys.modules


def _enable_colab_widgets() -> None:
    """Colab shows third-party widgets (ipyevents) only with its custom widget manager on."""
    if _in_colab():  # pragma: no cover - Colab only
        from google.colab import output

        output.enable_custom_widget_manager()


# -- before / after ----------------------------------------------------------------------


class BeforeAfter:
    """Compare two images of the same size with a slider that reveals ``after`` over ``before``.

    At ``position`` p in [0, 1] the columns left of ``cut = round(p * W)`` come from ``after``, the
    others from ``before``: 0 shows ``before`` only, 1 ``after`` only. ``labels`` name the two
    images (``(before, after)``); ``zoom`` enlarges the display (nearest neighbour).

    Logic without a display: :meth:`composite` (the image shown for a position), :attr:`position`.
    In Jupyter, display the object (or :meth:`widget`).
    """

    def __init__(self, before: Any, after: Any, labels: Sequence[str] = ("gray", "colorized"),
                 position: float = 0.5, zoom: int = 1, divider: bool = True) -> None:
        self.before = _hwc_uint8(before, "before")
        self.after = _hwc_uint8(after, "after")
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
        self._ui["image"].value = _png_hwc(self.composite(divider=self.divider), self.zoom)
        if self._ui["slider"].value != self._position:
            self._ui["slider"].value = self._position

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())

    def __repr__(self) -> str:
        h, w, _ = self.before.shape
        return (f"BeforeAfter({w}x{h}, {self.labels[0]!r} -> {self.labels[1]!r}, "
                f"position {self._position:.2f})")


# -- user-guided colorization --------------------------------------------------------------

#: The hint colours offered as buttons next to the colour picker.
PALETTE = ("#c0392b", "#e67e22", "#f1c40f", "#27ae60", "#2e86c1", "#8e44ad",
           "#8d6e63", "#f5cba7", "#7f8c8d", "#ffffff")


class HintApp:
    """User-guided colorization: the gray photo and its colorization side by side; a click on
    either image places a colour hint at that pixel and the colorization is recomputed.

    Inputs: ``colorizer``, any object with ``colorize_image(image (H, W, 3) uint8, hints=[Hint, ...]
    or None) -> (H, W, 3) uint8``, e.g. :func:`gancolor.inference.load_colorizer` of a hint
    checkpoint (hints are :class:`gancolor.hints.Hint`, in the photo's pixels); ``image``, the
    photo (colour or gray; :func:`_hwc_uint8` formats), shrunk so that its long side is at most
    ``max_size`` px (the time of one update grows with the pixels); ``color``, the first hint colour;
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
        array = _hwc_uint8(image, "image")
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
        result = _hwc_uint8(result, "the colorizer's result")
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
        self._ui["photo"].value = _png_hwc(self.marked(), zoom)
        self._ui["output"].value = _png_hwc(self.result, zoom)
        self._ui["hints"].value = self.describe()
        self._ui["undo"].disabled = self._ui["clear"].disabled = not self.hints
        self._ui["status"].value = (f"{self.width}x{self.height} px, {len(self.hints)} hints, "
                                    f"colorized in {self.latency:.2f} s")

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())

    def __repr__(self) -> str:
        return f"HintApp({self.width}x{self.height}, {len(self.hints)} hints)"


# -- the GAN playground (notebook 01) --------------------------------------------------------


class GANPlayground:
    """Train a toy GAN on the ring of 8 Gaussians (:func:`gancolor.toys.train_ring_gan`) with the
    loss, learning rate and number of steps of your choice, and plot its samples over the data.

    Logic without a display: :meth:`run` (returns a :class:`gancolor.toys.ToyGANRun`: real and
    generated samples, the loss history, the mode coverage), :attr:`runs` (every run so far, with
    its settings), :meth:`figure` (a matplotlib Figure of a run). In Jupyter, display the object:
    a loss menu, a learning-rate and a steps slider, a Train button, the plot (redrawn while
    training), a result line.
    """

    def __init__(self, kind: str = "nonsaturating", lr: float = 2e-4, steps: int = 1000, seed: int = 0,
                 kinds: Sequence[str] | None = None, live_every: int = 250) -> None:
        from gancolor.losses import GAN_LOSSES

        self.kinds = tuple(GAN_LOSSES if kinds is None else kinds)
        for name in self.kinds:
            if name not in GAN_LOSSES:
                raise ValueError(f"unknown GAN loss {name!r}; choose from {', '.join(GAN_LOSSES)}")
        if kind not in self.kinds:
            raise ValueError(f"kind must be one of {', '.join(self.kinds)}; got {kind!r}")
        self.kind, self.lr, self.steps, self.seed = kind, float(lr), int(steps), int(seed)
        self.live_every = int(live_every)
        self.runs: list[tuple[dict, Any]] = []
        self._ui: dict | None = None

    def run(self, kind: str | None = None, lr: float | None = None, steps: int | None = None,
            seed: int | None = None, callback: Callable | None = None):
        """Train once with these settings (default: the current ones, which they replace); returns
        the :class:`gancolor.toys.ToyGANRun`. ``callback(step, G, z)`` as in ``train_ring_gan``."""
        from gancolor import toys

        if kind is not None:
            if kind not in self.kinds:
                raise ValueError(f"kind must be one of {', '.join(self.kinds)}; got {kind!r}")
            self.kind = kind
        self.lr = self.lr if lr is None else float(lr)
        self.steps = self.steps if steps is None else int(steps)
        self.seed = self.seed if seed is None else int(seed)
        settings = {"kind": self.kind, "lr": self.lr, "steps": self.steps, "seed": self.seed}
        threads = torch.get_num_threads()
        torch.set_num_threads(1)  # networks this small run fastest on one thread
        try:
            result = toys.train_ring_gan(self.kind, steps=self.steps, lr=self.lr, seed=self.seed,
                                         callback=callback, every=max(1, self.live_every))
        finally:
            torch.set_num_threads(threads)
        self.runs.append((settings, result))
        return result

    @staticmethod
    def summary(settings: dict, result) -> str:
        """One line: the settings and the mode coverage of a run."""
        cov = result.coverage
        return (f"{settings['kind']}, lr {settings['lr']:.0e}, {settings['steps']} steps: {cov.covered} of 8 "
                f"modes covered, {cov.high_quality:.0%} of samples near a mode")

    def figure(self, real: torch.Tensor, fake: torch.Tensor, history: dict | None = None, title: str = ""):
        """A matplotlib Figure (no pyplot): real vs generated samples, and the losses if given."""
        from matplotlib.figure import Figure

        from gancolor import toys

        fig = Figure(figsize=(8.4, 3.6), layout="constrained")
        left, right = fig.subplots(1, 2, width_ratios=(1, 1.3))
        left.scatter(real[:, 0], real[:, 1], s=3, color="C0", alpha=0.3, label="real")
        left.scatter(fake[:, 0], fake[:, 1], s=3, color="C3", alpha=0.4, label="generated")
        centers = toys.ring_centers(8, 2.0)
        left.scatter(centers[:, 0], centers[:, 1], s=60, marker="+", color="k")
        left.set(xlim=(-3, 3), ylim=(-3, 3), aspect="equal", title=title or "samples")
        left.legend(loc="upper right", fontsize=7, markerscale=3)
        if history and history["loss_d"]:
            right.plot(history["loss_d"], color="C0", lw=0.8, label="D's loss")
            right.plot(history["loss_g"], color="C3", lw=0.8, label="G's loss")
            right.legend(fontsize=7)
        right.set(xlabel="step", title="losses")
        return fig

    # -- the app ---------------------------------------------------------------------------

    def widget(self):
        """The ipywidgets app (built once)."""
        if self._ui is None:
            import ipywidgets as w

            kind = w.Dropdown(options=list(self.kinds), value=self.kind, description="G/D loss")
            lr = w.FloatLogSlider(value=self.lr, base=10, min=-5, max=-1, step=0.25,
                                  description="learning rate", readout_format=".0e")
            steps = w.IntSlider(value=self.steps, min=0, max=5000, step=100, description="steps")
            train = w.Button(description="Train", button_style="primary", icon="play")
            plot = w.Image(format="png")
            status = w.Label("choose a loss and press Train")
            errors = w.Output()
            train.on_click(lambda _button: self._train_clicked())
            self._ui = {"kind": kind, "lr": lr, "steps": steps, "train": train, "plot": plot,
                        "status": status, "errors": errors,
                        "box": w.VBox([w.HBox([kind, lr]), w.HBox([steps, train]), plot, status, errors])}
        return self._ui["box"]

    def _show(self, fig) -> None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        buffer = io.BytesIO()
        FigureCanvasAgg(fig).print_png(buffer)
        self._ui["plot"].value = buffer.getvalue()

    def _train_clicked(self) -> None:
        ui = self._ui
        ui["train"].disabled = True
        ui["errors"].clear_output()
        start = time.perf_counter()
        from gancolor import toys

        real = toys.sample_ring(1000, std=0.05, generator=torch.Generator().manual_seed(self.seed + 1))

        def live(step: int, G, z) -> None:
            ui["status"].value = f"training: step {step} of {ui['steps'].value}..."
            self._show(self.figure(real, G(z), title=f"step {step}"))

        try:
            with ui["errors"]:
                result = self.run(kind=ui["kind"].value, lr=ui["lr"].value, steps=ui["steps"].value,
                                  callback=live)
        finally:
            ui["train"].disabled = False
        settings = self.runs[-1][0]
        self._show(self.figure(result.real, result.fake, result.history, title=f"{self.kind}, after "
                               f"{self.steps} steps"))
        ui["status"].value = f"{self.summary(settings, result)} ({time.perf_counter() - start:.1f} s)"

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget())

    def __repr__(self) -> str:
        return f"GANPlayground({self.kind}, lr {self.lr:g}, {self.steps} steps, {len(self.runs)} runs)"
