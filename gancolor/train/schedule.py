"""Learning-rate schedules, as ``torch.optim.lr_scheduler`` objects whose state goes into checkpoints.

CycleGAN (Zhu et al. 2017, Sec. 4) trains 100 epochs at the base rate, then decays it linearly
to zero over 100 more. Counted in steps, with T = ``total_steps`` and K = ``decay_steps``:

    lr(s) = lr_0                        for s <  T - K
    lr(s) = lr_0 (T - s) / K            for T - K <= s <= T      (lr(T) = 0)

where s is the number of ``scheduler.step()`` calls so far (the step about to be taken).
K = 0 keeps lr_0 throughout.
"""

from __future__ import annotations

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

__all__ = ["linear_decay", "LinearDecay"]


class LinearDecay:
    """The factor lr(s) / lr_0 above. A class, not a lambda: ``LambdaLR.state_dict`` saves its fields."""

    def __init__(self, total_steps: int, decay_steps: int) -> None:
        if total_steps < 1 or not 0 <= decay_steps <= total_steps:
            raise ValueError(f"need total_steps >= 1 and 0 <= decay_steps <= total_steps; got "
                             f"total_steps={total_steps}, decay_steps={decay_steps}")
        self.total_steps = total_steps
        self.decay_steps = decay_steps

    def __call__(self, step: int) -> float:
        if self.decay_steps == 0 or step < self.total_steps - self.decay_steps:
            return 1.0
        return max(0.0, (self.total_steps - step) / self.decay_steps)  # (T - s) / K, 0 from T on


def linear_decay(optimizer: Optimizer, total_steps: int, decay_steps: int) -> LambdaLR:
    """A scheduler keeping ``optimizer``'s learning rates for ``total_steps - decay_steps`` steps, then
    decaying them linearly to 0 at ``total_steps``. Call its ``step()`` after each optimizer step."""
    return LambdaLR(optimizer, LinearDecay(total_steps, decay_steps))
