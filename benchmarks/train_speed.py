"""pix2pix and CycleGAN training steps side by side: gancolor in fp32 and bf16 against the reference
implementation.

    python benchmarks/train_speed.py [--reference-networks PATH/models/networks.py] [--repeats 7]

Configs: the default colorizer (64 px crops, batch 16) and the reference-sized one (issue 15): the
junyanz pytorch-CycleGAN-and-pix2pix ``unet_128`` generator (U-Net width 64, depth 7, widths capped
at 512, dropout) with its ``basic`` 70x70 PatchGAN (width 64), BatchNorm, 128 px, batch 4, lambda 100;
and CycleGAN at the reference's ``resnet_6blocks`` (width 32, transposed-conv upsampling) with the
``basic`` PatchGAN (width 64), instance norm, 128 px, batch 1, LSGAN, lambda 10, identity 0.5, pool 50.

With ``--reference-networks`` (the file ``models/networks.py`` of a checkout of that repository;
nothing of it is shipped here) its own ``define_G``/``define_D`` build the reference networks and
the step below drives them as its ``Pix2PixModel.optimize_parameters`` does: G(A); D on the detached
fake and the real pair, ½(fake + real) BCE-with-logits; then G's BCE + λ·L1 with D frozen; Adam
(2e-4, β1 0.5) for each. The variants run alternately in one process, so a loaded machine slows
each alike; the ratio column is the reference's median over each variant's. Its CycleGAN step is
driven as its ``CycleGANModel.optimize_parameters``: the four translations, G's update (LSGAN +
cycle + identity) with both D frozen, then both D on pooled fakes, ½(real + fake) each.
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
CYCLEGAN_REFERENCE_SIZE = {"image_size": 128, "batch_size": 1, "width": 32, "n_blocks": 6,
                           "upsample": "transpose", "norm": "instance", "d_width": 64, "d_layers": 3,
                           "flip": False}


def _load_reference(networks_file: Path):
    """The reference's networks module, imported from its file."""
    spec = importlib.util.spec_from_file_location("reference_networks", networks_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def reference_step(networks_file: Path, batch: int, size: int) -> Callable[[], None]:
    """One pix2pix step of the reference networks on a fixed random batch (L in, ab out)."""
    module = _load_reference(networks_file)
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


def reference_cyclegan_step(networks_file: Path, size: int = 128) -> Callable[[], None]:
    """One CycleGAN step of the reference networks (resnet_6blocks width 32, basic D, instance norm)
    on a fixed random pair of 3-channel images, with 50-image pools of past fakes."""
    module = _load_reference(networks_file)
    g_ab, g_ba = (module.define_G(3, 3, 32, "resnet_6blocks", "instance", False, "normal", 0.02, [])
                  for _ in range(2))
    d_a, d_b = (module.define_D(3, 64, "basic", norm="instance") for _ in range(2))
    opt_g = torch.optim.Adam([*g_ab.parameters(), *g_ba.parameters()], lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam([*d_a.parameters(), *d_b.parameters()], lr=2e-4, betas=(0.5, 0.999))
    mse, l1 = nn.MSELoss(), nn.L1Loss()
    data = torch.Generator().manual_seed(0)
    real_a = torch.rand(1, 3, size, size, generator=data) * 2 - 1
    real_b = torch.rand(1, 3, size, size, generator=data) * 2 - 1
    pools: dict[str, list[torch.Tensor]] = {"a": [], "b": []}

    def pooled(name: str, fake: torch.Tensor) -> torch.Tensor:
        """Shrivastava et al.'s history: half the time a past fake instead of this one."""
        pool, fake = pools[name], fake.detach()
        if len(pool) < 50:
            pool.append(fake)
            return fake
        if torch.rand((), generator=data) < 0.5:
            index = int(torch.randint(len(pool), (), generator=data))
            pool[index], fake = fake, pool[index]
        return fake

    def lsgan(scores: torch.Tensor, real: bool) -> torch.Tensor:
        return mse(scores, torch.full_like(scores, float(real)))

    def step() -> None:
        fake_b, fake_a = g_ab(real_a), g_ba(real_b)
        rec_a, rec_b = g_ba(fake_b), g_ab(fake_a)
        for d in (d_a, d_b):
            d.requires_grad_(False)
        opt_g.zero_grad()
        loss_g = (lsgan(d_b(fake_b), True) + lsgan(d_a(fake_a), True)
                  + 10 * (l1(rec_a, real_a) + l1(rec_b, real_b))
                  + 5 * (l1(g_ab(real_b), real_b) + l1(g_ba(real_a), real_a)))
        loss_g.backward()
        opt_g.step()
        for d in (d_a, d_b):
            d.requires_grad_(True)
        opt_d.zero_grad()
        for d, real, fake in ((d_b, real_b, pooled("b", fake_b)), (d_a, real_a, pooled("a", fake_a))):
            (0.5 * (lsgan(d(real), True) + lsgan(d(fake), False))).backward()
        opt_d.step()

    return step


def gancolor_cyclegan_step(precision: str, channels_last: bool, **settings) -> Callable[[], None]:
    """One training step of gancolor's CycleGAN trainer with ``settings`` (CycleGANConfig fields)."""
    from gancolor.data.unpaired import UnpairedDomains
    from gancolor.train import CycleGANConfig, CycleGANTrainer

    config = CycleGANConfig(precision=precision, channels_last=channels_last, **settings)
    size = config.image_size
    images = torch.randint(0, 256, (16, 3, size, size), dtype=torch.uint8,
                           generator=torch.Generator().manual_seed(0))
    trainer = CycleGANTrainer(config, UnpairedDomains(images[:8], images[8:]), device="cpu")
    steps = iter(range(10**9))
    return lambda: trainer.train_step(next(steps))


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
    """The table rows: pix2pix (default and reference-sized) and reference-sized CycleGAN steps in
    fp32, bf16 and bf16 + channels_last, beside the reference's when its networks file is given."""
    configs = (
        ("pix2pix, default colorizer, 64 px, batch 16", gancolor_step, {}, None),
        ("pix2pix, reference-sized (unet_128 + basic D), 128 px, batch 4", gancolor_step, REFERENCE_SIZE,
         lambda path: reference_step(path, 4, 128)),
        ("CycleGAN, reference-sized (resnet_6blocks width 32 + basic D), 128 px, batch 1",
         gancolor_cyclegan_step, CYCLEGAN_REFERENCE_SIZE, reference_cyclegan_step),
    )
    rows = []
    for label, build, settings, reference_build in configs:
        variants: dict[str, Callable[[], None]] = {}
        if reference_networks is not None and reference_build is not None:
            variants["reference fp32"] = reference_build(reference_networks)
        variants["fp32"] = build("fp32", False, **settings)
        variants["bf16"] = build("bf16", False, **settings)
        variants["bf16 + channels_last"] = build("bf16", True, **settings)
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
