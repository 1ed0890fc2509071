"""The GAN playground (notebook 01): train a toy GAN on the ring of 8 Gaussians with a loss, learning
rate and number of steps of your choice, and see its samples and losses."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch

from gancolor.widgets.common import App

__all__ = ["GANPlayground"]


class GANPlayground(App):
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

    def __repr__(self) -> str:
        return f"GANPlayground({self.kind}, lr {self.lr:g}, {self.steps} steps, {len(self.runs)} runs)"
