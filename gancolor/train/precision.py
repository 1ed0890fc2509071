"""Mixed precision and channels_last for the trainers: faster steps on CUDA GPUs.

* **Mixed precision** (``amp``): the forward passes and losses run under
  ``torch.autocast("cuda", dtype=torch.float16)`` (convolutions in float16 on the tensor cores,
  reductions and losses kept in float32 by autocast), the weights and optimizer states stay
  float32. A float16 gradient can underflow to 0, so each optimizer gets its own
  ``torch.amp.GradScaler``: the loss is multiplied by a large scale before ``backward``, the
  gradients divided by it before ``step``, and a step whose gradients hold an inf or nan is
  skipped and the scale halved (it grows again after 2000 good steps). The scalers' states
  are saved in training checkpoints, so a resumed run continues with the same scales.
* **channels_last**: the networks' weights and the input batches are stored NHWC, the layout
  cuDNN's fastest (tensor-core) convolution kernels use; the results are the same up to rounding.

Both are CUDA-only here and ignored on the CPU and MPS (training then runs in float32, NCHW):
CPU autocast would need bfloat16, which is slower than float32 on most CPUs without AMX and
would change the results of the course's CPU runs. The ``full`` preset of ``gancolor train``
turns both on; the command prints a note when it ignores them.

    precision = Precision.for_device(device, amp=True, channels_last=True)
    with precision.autocast():
        loss = criterion(model(precision.inputs(x)), y)
    precision.backward_step("G", loss, optimizer)      # scale, backward, unscale + step, update
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager

import torch
from torch import nn

__all__ = ["Precision"]


class Precision:
    """Autocast, one GradScaler per optimizer, and the memory format, for one training run.

    Inputs: ``device`` the training device; ``amp``: autocast to ``dtype`` with gradient
    scaling; ``channels_last``: NHWC weights and inputs; ``optimizers``: the names of the
    optimizers (one scaler each). Used as given: :meth:`for_device` applies the policy
    (CUDA only). On the CPU ``dtype=torch.bfloat16`` works too (the tests use it).
    """

    def __init__(self, device: torch.device, amp: bool = False, channels_last: bool = False,
                 optimizers: Iterable[str] = (), dtype: torch.dtype = torch.float16) -> None:
        self.device_type = torch.device(device).type
        self.amp = bool(amp)
        self.dtype = dtype
        self.channels_last = bool(channels_last)
        self.scalers: dict[str, torch.amp.GradScaler] = {
            name: torch.amp.GradScaler(self.device_type, enabled=self.amp) for name in optimizers}

    @classmethod
    def for_device(cls, device: torch.device, amp: bool, channels_last: bool,
                   optimizers: Iterable[str] = ()) -> Precision:
        """The run's precision: ``amp`` (float16) and ``channels_last`` on CUDA, neither elsewhere."""
        cuda = torch.device(device).type == "cuda"
        return cls(device, amp=amp and cuda, channels_last=channels_last and cuda, optimizers=optimizers)

    @property
    def memory_format(self) -> torch.memory_format:
        return torch.channels_last if self.channels_last else torch.contiguous_format

    def autocast(self) -> AbstractContextManager:
        """The context for forward passes and losses (does nothing without ``amp``)."""
        return torch.autocast(self.device_type, dtype=self.dtype, enabled=self.amp)

    def module(self, module: nn.Module) -> nn.Module:
        """``module`` with its 4-d weights in the run's memory format (in place; returned)."""
        return module.to(memory_format=self.memory_format) if self.channels_last else module

    def inputs(self, x: torch.Tensor) -> torch.Tensor:
        """A (N, C, H, W) input batch in the run's memory format."""
        return x.contiguous(memory_format=torch.channels_last) if self.channels_last else x

    def backward_step(self, name: str, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """``loss.backward(); optimizer.step()``, through optimizer ``name``'s GradScaler with ``amp``."""
        scaler = self.scalers.get(name)
        if scaler is None or not scaler.is_enabled():
            loss.backward()
            optimizer.step()
            return
        scaler.scale(loss).backward()
        scaler.step(optimizer)  # unscales; skips the step if a gradient is inf or nan
        scaler.update()

    def state_dict(self) -> dict:
        """The enabled scalers' states (``{}`` without ``amp``), for training checkpoints."""
        return {name: scaler.state_dict() for name, scaler in self.scalers.items() if scaler.is_enabled()}

    def load_state_dict(self, state: dict) -> None:
        """Restore the scalers saved by :meth:`state_dict`; a scaler with no saved state (the run
        was checkpointed without ``amp``, e.g. on the CPU) keeps its initial scale, and saved
        states for disabled scalers (a resume without ``amp``) are ignored."""
        for name, scaler in self.scalers.items():
            if scaler.is_enabled() and state.get(name):
                scaler.load_state_dict(state[name])

    def __repr__(self) -> str:
        dtype = str(self.dtype).removeprefix("torch.") if self.amp else "float32"
        return f"Precision({self.device_type}, {dtype}, channels_last={self.channels_last})"
