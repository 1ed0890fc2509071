"""Mixed precision and channels_last for the trainers: faster steps, the same float32 weights.

A run's ``precision`` (every trainer config, ``gancolor train --precision``):

* ``"fp32"``: everything in float32 (the default; the course's notebooks use it).
* ``"bf16"``: forward passes and losses under ``torch.autocast(dtype=torch.bfloat16)`` on the CPU
  or CUDA: convolutions and matrix products in bfloat16 (native on CPUs with AVX512-BF16 or AMX
  and on Ampere GPUs), reductions and losses kept in float32 by autocast. bfloat16 has float32's
  range, so no gradient scaling is needed.
* ``"fp16"`` (CUDA): float16 autocast on the tensor cores. A float16 gradient can underflow to
  0, so each optimizer gets its own ``torch.amp.GradScaler``: the loss is multiplied by a large
  scale before ``backward``, the gradients divided by it before ``step``, and a step whose
  gradients hold an inf or nan is skipped and the scale halved (it grows again after 2000 good
  steps). The scalers' states are saved in training checkpoints.

In every case the weights and the optimizer states stay float32 ("master weights"), so a
checkpoint resumes under any precision. ``channels_last`` stores the networks' weights and the
input batches NHWC, the layout cuDNN's tensor-core kernels prefer. On the CPU it is far slower in
float32, so it is only taken with ``bf16``, and there too it measured slower than bf16 alone on an
AVX512-BF16 CPU (benchmarks/results.md: 278 against 245 ms for the reference-sized pix2pix step), so
``gancolor train`` uses it on the CPU only when asked (``--channels-last``).

    precision = Precision.for_device(device, "bf16", channels_last=True, optimizers=("G", "D"))
    with precision.autocast():
        loss = criterion(model(precision.inputs(x)), y)
    precision.backward_step("G", loss, optimizer)      # (scale), backward, (unscale +) step
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager

import torch
from torch import nn

__all__ = ["Precision", "cpu_has_native_bf16", "fuse_adam"]

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


class Precision:
    """Autocast, one GradScaler per optimizer (float16 only), and the memory format, for one run.

    Inputs: ``device`` the training device; ``amp``: autocast to ``dtype``; ``channels_last``: NHWC
    weights and inputs; ``optimizers``: the names of the optimizers (one scaler each, enabled for
    float16). Used as given; :meth:`for_device` turns a config's ``precision`` into one.
    """

    def __init__(self, device: torch.device, amp: bool = False, channels_last: bool = False,
                 optimizers: Iterable[str] = (), dtype: torch.dtype = torch.float16) -> None:
        self.device_type = torch.device(device).type
        self.amp = bool(amp)
        self.dtype = dtype
        self.channels_last = bool(channels_last)
        scaled = self.amp and dtype == torch.float16
        self.scalers: dict[str, torch.amp.GradScaler] = {
            name: torch.amp.GradScaler(self.device_type, enabled=scaled) for name in optimizers}

    @classmethod
    def for_device(cls, device: torch.device, precision: str = "fp32", channels_last: bool = False,
                   optimizers: Iterable[str] = ()) -> Precision:
        """The run's precision from a config: ``"fp32"``, ``"bf16"`` (CPU, CUDA) or ``"fp16"`` (CUDA);
        ``channels_last`` on CUDA, and on the CPU with bf16. Anything else is a ``ValueError``."""
        kind = torch.device(device).type
        if precision not in _DTYPES:
            raise ValueError(f"precision must be one of {', '.join(_DTYPES)}; got {precision!r}")
        if precision == "fp16" and kind != "cuda":
            raise ValueError(f"precision fp16 needs a CUDA GPU (on {kind} use bf16 or fp32)")
        if precision == "bf16" and kind not in ("cpu", "cuda"):
            raise ValueError(f"precision bf16 runs on the CPU or CUDA, not {kind}")
        if precision == "bf16" and kind == "cuda" and not torch.cuda.is_bf16_supported():
            raise ValueError("this GPU has no bfloat16: use precision fp16")
        if precision == "bf16" and kind == "cpu" and not cpu_has_native_bf16():
            warnings.warn("this CPU has no native bfloat16 (no AVX512-BF16, no AMX): bf16 training steps "
                          "run emulated, many times slower than fp32", RuntimeWarning, stacklevel=2)
        nhwc = channels_last and (kind == "cuda" or (kind == "cpu" and precision == "bf16"))
        return cls(device, amp=precision != "fp32", channels_last=nhwc, optimizers=optimizers,
                   dtype=_DTYPES[precision])

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

    def configure(self, optimizers: Mapping[str, torch.optim.Optimizer]) -> None:
        """Give each Adam optimizer this precision's kernel (:func:`fuse_adam`): fused with ``amp``,
        the classic per-tensor loop in float32. Call it when the optimizers are built and again after
        their states are loaded: a checkpoint's param_groups carry the kernel of the run that saved it."""
        for optimizer in optimizers.values():
            fuse_adam(optimizer, self.amp)

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
        """The enabled scalers' states (``{}`` but in float16), for training checkpoints."""
        return {name: scaler.state_dict() for name, scaler in self.scalers.items() if scaler.is_enabled()}

    def load_state_dict(self, state: dict) -> None:
        """Restore the scalers saved by :meth:`state_dict`; a scaler with no saved state (the run
        was checkpointed in another precision) keeps its initial scale, and saved states for
        disabled scalers (a resume in bf16 or fp32) are ignored."""
        for name, scaler in self.scalers.items():
            if scaler.is_enabled() and state.get(name):
                scaler.load_state_dict(state[name])

    def __repr__(self) -> str:
        dtype = str(self.dtype).removeprefix("torch.") if self.amp else "float32"
        return f"Precision({self.device_type}, {dtype}, channels_last={self.channels_last})"


def fuse_adam(optimizer: torch.optim.Optimizer, fused: bool = True) -> None:
    """Make an Adam/AdamW ``optimizer`` step with PyTorch's fused kernel, or (``fused=False``) with
    its default per-tensor loop again (in place).

    The fused step reads each parameter, gradient and moment once for all of Adam's arithmetic
    instead of once per operation: about 3x faster than the classic per-tensor loop on this CPU
    for 56 M parameters (measured side by side, 2026-12-07). It rounds differently (1 ulp), so the float32
    default keeps the classic loop that the course's stored outputs were made with; the mixed
    precisions, which round differently anyway, use it. :meth:`Precision.configure` applies it to a run's
    optimizers.
    """
    if not isinstance(optimizer, (torch.optim.Adam, torch.optim.AdamW)):
        return
    for group in optimizer.param_groups:
        if group.get("differentiable") or any(p.device.type not in ("cpu", "cuda") for p in group["params"]):
            continue
        group["foreach"], group["fused"] = (False, True) if fused else (None, None)


def cpu_has_native_bf16() -> bool:
    """True when this CPU computes bfloat16 in hardware (AVX512-BF16 or AMX tiles), where bf16
    autocast speeds training up; without it PyTorch emulates bfloat16 (measured on an AVX2-only
    CPU: a colorizer step 13x slower than in float32)."""
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(getattr(torch.cpu, name, lambda: False)() for name in checks)

