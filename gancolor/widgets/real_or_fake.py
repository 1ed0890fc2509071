"""The blind real-or-colorized test, "real photo or colorized?", reporting the *fool rate* (the
fraction of colorized images judged real): the human evaluation of Zhang et al. 2016's
"colorization Turing test" (notebook 05)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from gancolor.widgets.common import App, png_bytes

__all__ = ["RealOrFake", "REAL", "COLORIZED", "ANSWERS"]

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


class RealOrFake(App):
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
            self._ui["image"].value = png_bytes(image.permute(1, 2, 0).numpy(), self.zoom)
        for button in self._ui["buttons"].values():
            button.disabled = self.done
        self._ui["status"].value = self.summary()

    def __repr__(self) -> str:
        return f"RealOrFake({self.n_questions} images, {len(self.answers)} judged)"
