"""The base of every trainer's settings: a dataclass that round-trips through plain dicts.

Checkpoints and exported models store a run's settings as a plain dict (``to_dict``), and a
resume compares them; ``from_dict`` rebuilds the config and refuses settings it does not know.
A setting added after checkpoints were written is left out of the dict while it is off
(:meth:`TrainConfig.omitted`), so the settings of an older run still match.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

__all__ = ["TrainConfig"]

C = TypeVar("C", bound="TrainConfig")


@dataclass
class TrainConfig:
    """Settings every trainer has: the seed and the speed options (CUDA only, see gancolor.train.precision).

    ``amp``: float16 autocast with gradient scaling; ``channels_last``: NHWC weights and inputs.
    Both are ignored on the CPU; the ``full`` preset of ``gancolor train`` turns both on.
    """

    seed: int = 0
    amp: bool = False
    channels_last: bool = False

    def omitted(self) -> set[str]:
        """The settings left out of :meth:`to_dict` because they are off (by default the speed options)."""
        return {name for name in ("amp", "channels_last") if not getattr(self, name)}

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain types (without the :meth:`omitted` ones)."""
        omitted = self.omitted()
        return {key: value for key, value in asdict(self).items() if key not in omitted}

    @classmethod
    def from_dict(cls: type[C], data: dict[str, Any]) -> C:
        """The config of ``data`` (from :meth:`to_dict`); unknown settings are a ``ValueError``."""
        unknown = sorted(set(data) - {f.name for f in fields(cls)})
        if unknown:
            raise ValueError(f"unknown {cls.__name__} setting(s): {', '.join(unknown)}")
        return cls(**data)
