"""Named training configurations: ``tiny`` (a 2-core CPU, the embedded data, minutes) and ``full``
(a GPU, a real dataset, the papers' settings).

    config, steps = preset_config("cyclegan", "full", num_examples=1334)
    config = replace(config, lr=1e-4)            # anything can still be overridden

``tiny`` is each config class's defaults (what the shipped checkpoints and the notebooks use)
with a fixed number of steps. ``full`` follows the paper: pix2pix (Isola et al. 2017, Sec. 6.1
and App. 6.2) trains a 256x256 U-Net with batch size 1; CycleGAN (Zhu et al. 2017, Sec. 4 and
App. 7) trains 9 ResNet blocks at 256 px with batch size 1 for 200 epochs, the learning rate
constant for 100 and decaying linearly to zero over the next 100. Full runs are sized in
epochs, so their step count depends on the dataset (``num_examples``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from gancolor.train.colour_and_style import MultiTaskConfig
from gancolor.train.cut import CUTConfig
from gancolor.train.cyclegan import CycleGANConfig
from gancolor.train.pix2pix import ColorizeConfig
from gancolor.train.superres import SuperResConfig

__all__ = ["PRESET_NAMES", "Preset", "preset", "preset_config"]

PRESET_NAMES = ("tiny", "full")


@dataclass(frozen=True)
class Preset:
    """A task's named settings: config fields to change, and how long to train."""

    overrides: dict[str, Any] = field(default_factory=dict)
    steps: int | None = None  # a fixed number of steps (tiny) ...
    epochs: int | None = None  # ... or epochs over the data (full)
    decay_epochs: int | None = None  # CycleGAN-style linear decay over the last epochs

    def steps_for(self, num_examples: int, batch_size: int) -> int:
        """The number of training steps: fixed, or ``epochs`` passes over ``num_examples``."""
        if self.steps is not None:
            return self.steps
        if num_examples <= 0:
            raise ValueError(f"num_examples must be positive, got {num_examples}")
        return self.epochs * math.ceil(num_examples / batch_size)


_PIX2PIX_FULL = dict(image_size=256, batch_size=1, width=64, max_width=512, depth=8, d_width=64)
_CYCLEGAN_FULL = dict(image_size=256, batch_size=1, width=64, n_blocks=9, d_width=64, pool_size=50)

_PRESETS: dict[str, dict[str, Preset]] = {
    "colorize": {
        "tiny": Preset(steps=3000),
        "full": Preset(overrides=_PIX2PIX_FULL, epochs=200),
    },
    "superres": {
        "tiny": Preset(steps=3000),
        "full": Preset(overrides=_PIX2PIX_FULL, epochs=200),
    },
    "cyclegan": {
        "tiny": Preset(steps=6000),
        "full": Preset(overrides=_CYCLEGAN_FULL, epochs=200, decay_epochs=100),
    },
    "cut": {  # the paper: 400 epochs, the last 200 decaying; the CycleGAN networks without the pool
        "tiny": Preset(steps=3000),
        "full": Preset(overrides=dict(image_size=256, batch_size=1, width=64, n_blocks=9, d_width=64),
                       epochs=400, decay_epochs=200),
    },
    "multitask": {
        "tiny": Preset(steps=6000),
        "full": Preset(overrides=dict(image_size=256, batch_size=1, width=64), epochs=200, decay_epochs=100),
    },
}


def preset(task: str, name: str) -> Preset:
    """The preset ``name`` ("tiny" or "full") of ``task`` ("colorize", "cyclegan", "multitask")."""
    if task not in _PRESETS:
        raise ValueError(f"no presets for task {task!r}; tasks: {', '.join(_PRESETS)}")
    if name not in _PRESETS[task]:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}")
    return _PRESETS[task][name]


def _config_class(task: str) -> type:
    return {"colorize": ColorizeConfig, "superres": SuperResConfig, "cyclegan": CycleGANConfig,
            "cut": CUTConfig, "multitask": MultiTaskConfig}[task]


def preset_config(task: str, name: str, num_examples: int, **overrides: Any) -> tuple[Any, int]:
    """The config of ``task`` for preset ``name`` with ``overrides`` applied (None values ignored),
    and the number of training steps (``overrides["steps"]`` wins over the preset's).

    For configs with a learning-rate schedule (``steps`` and ``decay_steps`` fields) the preset
    sets both, so the decay ends exactly at the last step.
    """
    chosen = preset(task, name)
    config_cls = _config_class(task)
    known = {f.name for f in fields(config_cls)}
    given = {k: v for k, v in overrides.items() if v is not None}
    steps = given.pop("steps", None)
    unknown = sorted(set(given) - known)
    if unknown:
        raise ValueError(f"{config_cls.__name__} has no setting(s) {', '.join(unknown)}")
    settings = {k: v for k, v in chosen.overrides.items() if k in known}
    settings.update(given)  # what the user gave wins over the preset
    config = replace(config_cls(), **settings)
    if steps is None:
        steps = chosen.steps_for(num_examples, config.batch_size)
    if "steps" in known:  # the schedule needs the run's length
        decay = config.decay_steps if "decay_steps" in given else None
        if decay is None:
            if chosen.decay_epochs is not None and chosen.epochs is not None:
                decay = steps * chosen.decay_epochs // chosen.epochs
            else:
                decay = steps // 2
        config = replace(config, steps=steps, decay_steps=min(decay, steps))
    return config, steps
