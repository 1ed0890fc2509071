"""pix2pix training steps side by side: gancolor in fp32 and bf16 against the reference implementation.

    python benchmarks/train_speed.py [--reference-networks PATH/models/networks.py] [--repeats 7]

Configs: the default colorizer (64 px crops, batch 16) and the reference-sized one (issue 15): the
junyanz pytorch-CycleGAN-and-pix2pix ``unet_128`` generator (U-Net width 64, depth 7, widths capped
at 512, dropout) with its ``basic`` 70x70 PatchGAN (width 64), BatchNorm, 128 px, batch 4, lambda 100.

With ``--reference-networks`` (the file ``models/networks.py`` of a checkout of that repository;
nothing of it is shipped here) its own ``define_G``/``define_D`` build the reference networks and
the step below drives them as its ``Pix2PixModel.optimize_parameters`` does: G(A); D on the detached
fake and the real pair, ½(fake + real) BCE-with-logits; then G's BCE + λ·L1 with D frozen; Adam
(2e-4, β1 0.5) for each. The variants run alternately in one process, so a loaded machine slows
each alike; the ratio column is the reference's median over each variant's.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

REFERENCE_SIZE = {"image_size": 128, "batch_size": 4, "width": 64, "depth": 7, "max_width": 512,
                  "d_width": 64, "d_layers": 3, "flip": False}


def reference_step(networks_file: Path, batch: int, size: int) -> Callable[[], None]:
    """One pix2pix step of the reference networks on a fixed random batch (L in, ab out)."""
    spec = importlib.util.spec_from_file_location("reference_networks", networks_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    net_g = module.define_G(1, 2, 64, "unet_128", "batch", True, "normal", 0.02, [])
    net_d = module.define_D(3, 64, "basic", norm="batch")
    opt_g = torch.optim.Adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
    data = torch.Generator().manual_seed(0)
    real_a = torch.rand(batch, 1, size, size, generator=data) * 2 - 1
    real_b = torch.rand(batch, 2, size, size, generator=data) - 0.5

    def gan(logits: torch.Tensor, real: bool) -> torch.Tensor:
        return bce(logits, torch.full_like(logits, float(real)))

    def step() -> None:
        fake_b = net_g(real_a)
        net_d.requires_grad_(True)
        opt_d.zero_grad()
        loss_d = 0.5 * (gan(net_d(torch.cat([real_a, fake_b], 1).detach()), False)
                        + gan(net_d(torch.cat([real_a, real_b], 1)), True))
        loss_d.backward()
        opt_d.step()
        net_d.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = gan(net_d(torch.cat([real_a, fake_b], 1)), True) + 100.0 * l1(fake_b, real_b)
        loss_g.backward()
        opt_g.step()

    return step


def gancolor_step(precision: str, channels_last: bool, **settings) -> Callable[[], None]:
    """One training step of gancolor's pix2pix trainer with ``settings`` (ColorizeConfig fields)."""
    from gancolor.train import ColorizationTrainer, ColorizeConfig

    config = ColorizeConfig(precision=precision, channels_last=channels_last, **settings)
    size = config.image_size
    images = torch.randint(0, 256, (max(16, config.batch_size), 3, size, size), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    trainer = ColorizationTrainer(config, images, device="cpu")
    steps = iter(range(10**9))
    return lambda: trainer.train_step(next(steps))


def alternate(variants: dict[str, Callable[[], None]], repeats: int) -> dict[str, float]:
    """Median seconds per call of each variant, run round-robin after two warm-up calls each."""
    times: dict[str, list[float]] = {name: [] for name in variants}
    for run in variants.values():
        run()
        run()
    for _ in range(repeats):
        for name, run in variants.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def step_rows(reference_networks: Path | None, repeats: int) -> list[tuple[str, str]]:
    """The table rows: default and reference-sized configs in fp32, bf16 and bf16 + channels_last."""
    rows = []
    for label, settings in (("default colorizer, 64 px, batch 16", {}),
                            ("reference-sized (unet_128 + basic D), 128 px, batch 4", REFERENCE_SIZE)):
        variants: dict[str, Callable[[], None]] = {}
        if reference_networks is not None and settings:
            variants["reference fp32"] = reference_step(reference_networks, 4, 128)
        variants["fp32"] = gancolor_step("fp32", False, **settings)
        variants["bf16"] = gancolor_step("bf16", False, **settings)
        variants["bf16 + channels_last"] = gancolor_step("bf16", True, **settings)
        medians = alternate(variants, repeats)
        reference = medians.get("reference fp32")
        for name, seconds in medians.items():
            compared = reference is not None and name != "reference fp32"
            ratio = f" ({reference / seconds:.2f}x the reference)" if compared else ""
            rows.append((f"training step, {label}: {name}", f"{seconds * 1000:.0f} ms{ratio}"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-networks", type=Path, default=None,
                        help="models/networks.py of a pytorch-CycleGAN-and-pix2pix checkout")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f"load average {os.getloadavg()[0]:.1f}, {torch.get_num_threads()} threads")
    for name, value in step_rows(args.reference_networks, args.repeats):
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
