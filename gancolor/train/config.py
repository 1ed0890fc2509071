"""The base of every trainer's settings: a dataclass that round-trips through plain dicts.

Checkpoints and exported models store a run's settings as a plain dict (``to_dict``), and a
resume compares them; ``from_dict`` rebuilds the config and refuses settings it does not know.
A setting added after checkpoints were written is left out of the dict while it is off
(:meth:`TrainConfig.omitted`), so the settings of an older run still match.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

__all__ = ["TrainConfig", "PRECISIONS", "SPEED_SETTINGS"]

#: What ``precision`` may be.
PRECISIONS = ("fp32", "bf16", "fp16")
#: Settings that change a run's speed, not what it computes: a resume may change them.
SPEED_SETTINGS = ("precision", "channels_last", "amp")

C = TypeVar("C", bound="TrainConfig")


@dataclass
class TrainConfig:
    """Settings every trainer has: the seed and the speed options (see gancolor.train.precision).

    ``precision``: ``"fp32"``; ``"bf16"`` (CPU and CUDA: bfloat16 autocast) or ``"fp16"`` (CUDA:
    float16 autocast with gradient scaling); the weights and optimizer states stay float32.
    ``channels_last``: NHWC weights and inputs (CUDA; on the CPU with bf16 only).
    They change how fast a run goes, not what it computes (up to rounding): a run may resume with
    other speed settings (:data:`SPEED_SETTINGS`).
    """

    seed: int = 0
    precision: str = "fp32"
    channels_last: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}; got {self.precision!r}")

    def omitted(self) -> set[str]:
        """The settings left out of :meth:`to_dict` because they are off (by default the speed options)."""
        omitted = set() if self.channels_last else {"channels_last"}
        return omitted | ({"precision"} if self.precision == "fp32" else set())

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain types (without the :meth:`omitted` ones)."""
        omitted = self.omitted()
        return {key: value for key, value in asdict(self).items() if key not in omitted}

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """The config of ``data`` (from :meth:`to_dict`); unknown settings are a ``ValueError``."""
        data = dict(data)
        if "amp" in data:  # written before `precision` existed: amp meant float16 autocast
            amp = data.pop("amp")
            data.setdefault("precision", "fp16" if amp else "fp32")
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown {cls.__name__} setting(s): {', '.join(unknown)}")
        return cls(**data)
