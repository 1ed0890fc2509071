"""The record of a training run: every step's losses and the time it took."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["History"]


@dataclass
class History:
    """The losses of every step: ``losses[name][i]`` is loss ``name`` at step ``steps[i]``.

    ``seconds`` is the training time so far, summed over resumed runs.
    """

    steps: list[int] = field(default_factory=list)
    losses: dict[str, list[float]] = field(default_factory=dict)
    seconds: float = 0.0

    def append(self, step: int, losses: dict[str, float]) -> None:
        """Record one step; every step must report the same losses."""
        if self.steps and set(losses) != set(self.losses):
            raise ValueError(f"step {step} reports losses {sorted(losses)}, earlier steps "
                             f"{sorted(self.losses)}")
        self.steps.append(step)
        for name, value in losses.items():
            self.losses.setdefault(name, []).append(float(value))

    def mean(self, name: str, last: int | None = None) -> float:
        """Mean of loss ``name`` over the last ``last`` recorded steps (all steps if None)."""
        if name not in self.losses:
            raise KeyError(f"no loss {name!r}; recorded: {sorted(self.losses)}")
        values = self.losses[name][-last:] if last else self.losses[name]
        if not values:
            raise ValueError(f"no values of loss {name!r} recorded")
        return sum(values) / len(values)

    def to_dict(self) -> dict:
        return {"steps": list(self.steps), "losses": {k: list(v) for k, v in self.losses.items()},
                "seconds": float(self.seconds)}

    @classmethod
    def from_dict(cls, data: dict) -> History:
        return cls(steps=[int(s) for s in data["steps"]],
                   losses={k: [float(x) for x in v] for k, v in data["losses"].items()},
                   seconds=float(data["seconds"]))

    def __len__(self) -> int:
        return len(self.steps)
