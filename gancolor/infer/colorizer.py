"""Colorize photos of any size with a trained generator (a ``gancolor train colorize`` model file).

The generator sees the photo small (its long side at ``inference_size`` px) and predicts
the chrominance ab there. Chrominance varies slowly, so the ab map is upsampled to the
photo's full resolution and joined to the photo's own full-resolution lightness L: the
result keeps every detail of the original (:mod:`gancolor.infer.full_resolution`).

A hint colorizer (Zhang et al. 2017; ``gancolor train colorize --hints``) also takes user colour
hints (:class:`gancolor.infer.user_hints.Hint`, in the photo's pixels): they are painted into hint
maps at the working size and given to the generator with L (see :mod:`gancolor.data.hint_maps`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gancolor.ab_classes import annealed_mean
from gancolor.color import lab_normalized_to_rgb
from gancolor.errors import CheckpointError, UserError
from gancolor.infer.full_resolution import (
    DEFAULT_INFERENCE_SIZE,
    GeneratorModel,
    pad_for,
    render_full_resolution,
    working_size,
)
from gancolor.infer.user_hints import Hint
from gancolor.model_files import (
    COLORIZER_FORMAT,
    HINT_INPUTS,
    PLAIN_INPUTS,
    PRIOR_HINT_INPUTS,
    build_generator,
    read_model_file,
)
from gancolor.runtime import package_root

__all__ = [
    "DEFAULT_AUTOMATIC",
    "Colorizer",
    "default_checkpoint",
    "load_colorizer",
]

#: The shipped colorizer that ``gancolor colorize`` uses without hints: of the shipped automatic
#: colorizers (GAN, L1, classification at its own temperature), the one with the best PSNR on the
#: validation photo of gancolor.data.real_photos (the model card has the table; on the held-out test
#: photos it is 0.4 dB above the gray photo, where the GAN is 1.7 dB below).
DEFAULT_AUTOMATIC = "l1"


def default_checkpoint(mode: str = "gan") -> Path:
    """The shipped colorizer file: ``mode`` is ``"gan"``, ``"l1"``, ``"classify"`` (Zhang et al. 2016)
    or ``"hints"`` (the hint colorizer)."""
    return package_root() / "weights" / f"colorizer_{mode}.pt"


def _generator_classes() -> dict[str, type[nn.Module]]:
    from gancolor.models import UNetGenerator

    return {"UNetGenerator": UNetGenerator}


class Colorizer(GeneratorModel):
    """A generator L -> ab ready for inference, with what it was trained on.

    Attributes:
        generator: maps L_n (N, 1, H, W) in [-1, 1] to ab_n (N, 2, H, W) in [-1, 1]; a hint model
            maps cat(L_n, hint ab_n, mask) (N, 4, H, W) (see :attr:`takes_hints`).
        inference_size: long side (px) at which photos are colorized before upsampling ab.
        meta: the rest of the checkpoint (train config, steps, mode).
    """

    @property
    def mode(self) -> str:
        return str(self.meta.get("mode", "gan"))

    @property
    def temperature(self) -> float | None:
        """A classification colorizer's decoding temperature T (Zhang et al. 2016: 1 = the mean of the
        predicted colours, safe; towards 0 = the most likely colour, vivid); None for other models.
        Set it with :meth:`set_temperature`."""
        decode = self.meta.get("decode")
        return float(decode["temperature"]) if isinstance(decode, dict) else None

    def set_temperature(self, temperature: float) -> None:
        """Decode a classification colorizer's distribution at ``temperature`` > 0 from now on."""
        if self.temperature is None:
            raise UserError("--temperature applies to classification colorizers only "
                            "(gancolor train colorize --classify)")
        if not (isinstance(temperature, (int, float)) and 0 < temperature < float("inf")):
            raise UserError(f"the temperature must be a positive number; got {temperature}")
        self.meta["decode"] = {**self.meta["decode"], "temperature": float(temperature)}

    @property
    def takes_hints(self) -> bool:
        """Whether the generator takes user colour hints (L, hint ab, mask [, prior ab])."""
        return int(getattr(self.generator, "in_channels", 1)) in (len(HINT_INPUTS), len(PRIOR_HINT_INPUTS))

    @property
    def prior_scale(self) -> float | None:
        """For a model that starts from Levin et al.'s propagation of the hints, the size of that
        solve as a fraction of the working size; None for other models."""
        if tuple(self.meta.get("inputs", ())) != PRIOR_HINT_INPUTS:
            return None
        from gancolor.propagation import PRIOR_SCALE  # scipy: loaded only for the models that use it

        return float(self.meta.get("prior", {}).get("scale", PRIOR_SCALE))

    def _check_hints(self, given: bool) -> None:
        if given and not self.takes_hints:
            raise UserError("this colorizer takes no colour hints (it was trained without --hints); "
                            "use a hint colorizer or drop the hints")

    @torch.no_grad()
    def predict_ab(self, L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                   mask: torch.Tensor | None = None) -> torch.Tensor:
        """Predict normalised chrominance.

        Inputs: ``L_n`` (N, 1, H, W) in [-1, 1], any H, W (reflect-padded to the U-Net's multiple);
        for a hint model optionally ``hint_ab`` (N, 2, H, W) ab_n, zero outside hints, and ``mask``
        (N, 1, H, W) in {0, 1} (see :func:`gancolor.infer.user_hints.hints_to_maps`); none = no hints. Hints
        given to a model without hint inputs raise :class:`~gancolor.errors.UserError`.
        Returns: ``ab_n`` (N, 2, H, W) in [-1, 1], on L_n's device.
        """
        self._check_hints(hint_ab is not None or mask is not None)
        height, width = L_n.shape[-2:]
        x = pad_for(self.generator, L_n.to(self.device))
        pad_h, pad_w = x.shape[-2] - height, x.shape[-1] - width
        if self.takes_hints:  # hint maps are zero-padded: no hints in the padding
            from gancolor.data.hint_maps import generator_input  # (the datasets: only for hint models)

            maps = (None, None) if hint_ab is None else \
                [F.pad(m.to(x), (0, pad_w, 0, pad_h)) for m in (hint_ab, mask)]
            x = generator_input(x, *maps)
            if self.prior_scale is not None:  # the prior of the unpadded photo, padded like L
                from gancolor.propagation import hint_prior  # (scipy)

                prior = L_n.new_zeros(len(L_n), 2, height, width) if hint_ab is None else \
                    hint_prior(L_n, hint_ab, mask, self.prior_scale)
                x = torch.cat([x, F.pad(prior.to(x), (0, pad_w, 0, pad_h), mode="replicate")], dim=1)
        out = self.generator(x)[..., :height, :width]
        if self.mode == "classify":  # scores over ab bins (Zhang et al. 2016) -> one colour per pixel
            out = annealed_mean(out, self.temperature, self.meta["decode"]["bins"])
        return out.to(L_n.device)

    @torch.no_grad()
    def colorize_lab(self, L_n: torch.Tensor, hint_ab: torch.Tensor | None = None,  # noqa: N803
                     mask: torch.Tensor | None = None) -> torch.Tensor:
        """Colorize at the given size: L_n (N, 1, H, W) in [-1, 1] -> RGB (N, 3, H, W) in [0, 1].

        ``hint_ab``, ``mask``: optional hint maps, as for :meth:`predict_ab`.
        """
        return lab_normalized_to_rgb(L_n, self.predict_ab(L_n, hint_ab, mask))

    def working_size(self, height: int, width: int) -> tuple[int, int]:
        """The size (h, w) at which a photo of ``height`` x ``width`` px is colorized: long side
        ``inference_size``, aspect kept (small photos are enlarged)."""
        return working_size(height, width, self.inference_size, enlarge=True)

    @torch.no_grad()
    def colorize_image(self, rgb: np.ndarray, hints: Sequence[Hint] | None = None) -> np.ndarray:
        """Colorize one photo at full resolution (:func:`render_full_resolution`).

        Inputs: ``rgb`` (H, W, 3) uint8, colour or gray (only its lightness is used); ``hints``
        (hint models only) user colour hints in the photo's pixel coordinates, mapped to the
        working size (:func:`gancolor.infer.user_hints.hints_to_maps`); None or [] = automatic colorization.
        Returns: (H, W, 3) uint8 with the input's exact lightness and predicted colour.
        Raises :class:`~gancolor.errors.UserError` for hints given to a model without hint inputs
        or a hint outside the photo.
        """
        self._check_hints(bool(hints))
        return render_full_resolution(rgb, self.working_size, self.predict_ab, hints)


def load_colorizer(path: str | Path | None = None, device: str | torch.device = "cpu",
                   inference_size: int | None = None) -> Colorizer:
    """Load a colorizer file written by ``gancolor train colorize`` (or the shipped one).

    ``path`` None means the shipped default automatic colorizer (:data:`DEFAULT_AUTOMATIC`). A
    missing, corrupt or wrong-kind file, or one whose fields have the wrong type, raises
    :class:`~gancolor.errors.CheckpointError` with a one-line reason.
    """
    path = Path(path) if path is not None else default_checkpoint(DEFAULT_AUTOMATIC)
    blob = read_model_file(path, COLORIZER_FORMAT)
    generator = build_generator(blob.get("generator"), _generator_classes(), path)
    _check_colorizer_fields(blob, generator, path)
    return Colorizer.from_model_file(blob, generator, device, inference_size)


def _check_colorizer_fields(blob: dict, generator: nn.Module, path: Path) -> None:
    """Raise a one-line CheckpointError for a colorizer file field of the wrong type or value."""
    raw_inputs = blob.get("inputs", PLAIN_INPUTS)
    inputs = tuple(raw_inputs) if isinstance(raw_inputs, (list, tuple)) else None
    if (inputs not in (PLAIN_INPUTS, HINT_INPUTS, PRIOR_HINT_INPUTS)
            or len(inputs) != getattr(generator, "in_channels", 1)):
        raise CheckpointError(path, f"generator inputs {raw_inputs!r} do not fit its "
                                    f"{getattr(generator, 'in_channels', '?')} input channel(s)")
    size = blob.get("inference_size", DEFAULT_INFERENCE_SIZE)
    if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= 16384:
        raise CheckpointError(path, f"inference_size must be a whole number of pixels in 1..16384; "
                                    f"got {size!r}")
    mode = blob.get("mode", "gan")
    if mode not in ("gan", "l1", "classify"):
        raise CheckpointError(path, f"unknown colorizer mode {mode!r} (gan, l1 or classify)")
    config = getattr(generator, "config", {})
    classifies = config.get("output") == "logits"
    if classifies != (mode == "classify") or (not classifies and config.get("out_channels", 2) != 2):
        what = "class scores" if classifies else "output channels"
        raise CheckpointError(path, f"mode {mode!r} does not fit a generator with "
                                    f"{config.get('out_channels')} {what}")
    if mode == "classify":
        decode = blob.get("decode")
        bins = decode.get("bins") if isinstance(decode, dict) else None
        temperature = decode.get("temperature") if isinstance(decode, dict) else None
        if (not isinstance(bins, torch.Tensor) or bins.dim() != 2 or bins.shape[1] != 2
                or bins.shape[0] != getattr(generator, "config", {}).get("out_channels")):
            raise CheckpointError(path, "a classification colorizer needs decode.bins, one (a, b) per output "
                                        "channel")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
            raise CheckpointError(path, f"decode.temperature must be a positive number; got {temperature!r}")
    if inputs == PRIOR_HINT_INPUTS:
        from gancolor.propagation import PRIOR_SCALE

        prior = blob.get("prior", {})
        scale = prior.get("scale", PRIOR_SCALE) if isinstance(prior, dict) else None
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not 0 < scale <= 1:
            raise CheckpointError(path, f"prior.scale must be a number in (0, 1]; got {scale!r}")
