"""Multi-process training (DistributedDataParallel, gloo on the CPU) and mixed precision.

The 2-process test forks two workers that set torchrun's environment (RANK, WORLD_SIZE,
LOCAL_RANK, MASTER_ADDR, MASTER_PORT on 127.0.0.1) themselves and join the process group with
the same ``gancolor.train.distributed.launch`` that ``gancolor train`` uses under torchrun
(forking skips re-importing torch in every worker: a torchrun launch costs three imports).
It checks, for a tiny CycleGAN (instance norm, so comparable to one process):

* 2 processes x 1 example = 1 process x 2 examples: the weights after 3 steps agree within 1e-5;
* 3 steps + a resume to 6 = 6 steps in one go, bit for bit (pools, schedulers, RNG restored);
* only rank 0 wrote files (checkpoints, the exported model, history.json, losses.png);

and that a pix2pix colorizer with BatchNorm, dropout and hints trains on 2 processes with its
weights kept identical on both ranks.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import socket
import time
import warnings
from dataclasses import replace
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from torch import nn

from gancolor.data import UnpairedDomains
from gancolor.errors import UserError
from gancolor.train import distributed, fit, load_training_checkpoint
from gancolor.train.colour_and_style import MultiTaskConfig, MultiTaskTrainer
from gancolor.train.cyclegan import CycleGANConfig, CycleGANTrainer
from gancolor.train.pix2pix import ColorizationTrainer, ColorizeConfig
from gancolor.train.precision import Precision
from gancolor.train.unconditional import DCGANConfig, DCGANTrainer

K = 3  # steps before the resume; the runs go to 2 K
WORLD = 2


def random_images(n: int, size: int, seed: int) -> torch.Tensor:
    """(n, 3, size, size) uint8 colour blobs with a pixel texture.

    The texture matters: on smooth blobs the tiny generators' deep feature maps (4 x 4 at 16 px)
    are nearly constant, instance norm turns them into rounding noise, and Adam's first steps
    (about lr * sign(gradient)) then follow that noise: 1 and 2 processes, which sum in a
    different order, would differ by 2 lr in such weights for no reason DDP is responsible for.
    """
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    smooth = nn.functional.interpolate(small, size=(size, size), mode="bilinear")
    texture = 0.3 * torch.rand(n, 3, size, size, generator=g)
    return ((0.7 * smooth + texture) * 255).round().to(torch.uint8)


def tiny_domains() -> UnpairedDomains:
    return UnpairedDomains(a=random_images(5, 20, seed=1), b=random_images(6, 20, seed=2),
                           names=("summer", "winter"), source="test")


def tiny_cyclegan(**overrides) -> CycleGANConfig:
    settings = dict(image_size=16, batch_size=2, width=8, n_blocks=1, d_width=8, d_layers=2, pool_size=0,
                    steps=2 * K, seed=0)
    return CycleGANConfig(**(settings | overrides))


def tiny_colorize(**overrides) -> ColorizeConfig:
    settings = dict(image_size=16, batch_size=2, width=4, max_width=8, depth=2, d_width=4, d_layers=2,
                    hints=True, hint_max_size=3, seed=0)
    return ColorizeConfig(**(settings | overrides))


def tiny_multitask() -> MultiTaskConfig:
    return MultiTaskConfig(image_size=16, batch_size=2, width=4, depth=2, max_width=8, f_width=4, f_blocks=1,
                           d_width=4, d_layers=2, pool_size=3, steps=2 * K)


def tiny_dcgan() -> DCGANConfig:
    """WGAN-GP with no batch norm anywhere: 2 processes must take the steps of 1 with the global batch."""
    return DCGANConfig(width=4, batch_size=4, z_dim=8, loss="wgan", gp_weight=10.0, g_norm="instance",
                       d_norm="none", n_critic=2)


# ------------------------------------------------------------------------------- in one process


def test_without_torchrun_everything_is_single_process(monkeypatch):
    for name in ("RANK", "WORLD_SIZE", "LOCAL_RANK"):
        monkeypatch.delenv(name, raising=False)
    with distributed.launch("cpu") as ctx:
        assert ctx is None
    assert (distributed.rank(), distributed.world_size(), distributed.is_main()) == (0, 1, True)
    x = torch.arange(6)
    assert distributed.shard(x) is x and distributed.all_gather(x) is x
    module = nn.Linear(2, 2)
    assert distributed.wrap(module, torch.device("cpu")) is module
    assert distributed.mean_losses({"a": 1.0}) == {"a": 1.0}


def test_the_batch_is_split_into_contiguous_shards(monkeypatch):
    monkeypatch.setattr(distributed, "world_size", lambda: 3)
    batch = torch.arange(6)
    shards = []
    for r in range(3):
        monkeypatch.setattr(distributed, "rank", lambda r=r: r)
        shards.append(distributed.shard(batch))
    assert [s.tolist() for s in shards] == [[0, 1], [2, 3], [4, 5]]
    with pytest.raises(UserError, match="batch_size 4 cannot be split over 3 processes.*multiple"):
        distributed.check_batch_size(4)
    with pytest.raises(UserError, match="batch_size 2 cannot be split over 3"):
        CycleGANTrainer(tiny_cyclegan(), tiny_domains(), device="cpu")


def test_torchrun_environment_errors_are_user_errors(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setenv("WORLD_SIZE", "two")
    monkeypatch.setenv("LOCAL_RANK", "0")
    with pytest.raises(UserError, match="WORLD_SIZE is missing or not a number"):
        distributed.init_from_env("cpu")
    monkeypatch.setenv("WORLD_SIZE", "2")
    with pytest.raises(UserError, match="uses the GPU of its LOCAL_RANK"):
        distributed.init_from_env("cuda:1")


def test_precision_settings_per_device_and_in_configs():
    cpu = torch.device("cpu")
    fp32 = Precision.for_device(cpu, "fp32", channels_last=True, optimizers=("G",))
    assert not fp32.amp and not fp32.channels_last and fp32.state_dict() == {}  # NHWC is slower in fp32
    bf16 = Precision.for_device(cpu, "bf16", channels_last=True, optimizers=("G",))
    assert bf16.amp and bf16.dtype == torch.bfloat16 and bf16.channels_last
    assert not bf16.scalers["G"].is_enabled()  # bfloat16 has float32's range: no gradient scaling
    with pytest.raises(ValueError, match="fp16 needs a CUDA GPU"):
        Precision.for_device(cpu, "fp16")
    with pytest.raises(ValueError, match="precision must be one of"):
        ColorizeConfig(precision="fp8")
    # the speed settings are left out of a default config, round-trip, and old files' amp is read
    assert "precision" not in CycleGANConfig().to_dict()
    assert "channels_last" not in ColorizeConfig().to_dict()
    config = tiny_cyclegan(precision="bf16", channels_last=True)
    assert CycleGANConfig.from_dict(config.to_dict()) == config
    old = {**tiny_colorize().to_dict(), "amp": True}
    assert ColorizeConfig.from_dict(old).precision == "fp16"


def test_a_run_resumes_in_another_precision(tmp_path):
    """Weights stay float32 and the speed settings are not part of a run's identity: a run started
    in fp32 continues in bf16 (and back)."""
    first = CycleGANTrainer(tiny_cyclegan(pool_size=2), tiny_domains(), device="cpu")
    fit(first, 1, out_dir=tmp_path, progress=False)
    faster = tiny_cyclegan(pool_size=2, precision="bf16", channels_last=True)
    resumed = CycleGANTrainer(faster, tiny_domains(), device="cpu")
    assert resumed.precision.dtype == torch.bfloat16
    # each precision's Adam kernel is set when the optimizers are built: fused in bf16, classic in fp32
    assert all(group["fused"] for opt in resumed.optimizers.values() for group in opt.param_groups)
    assert not any(group["fused"] for opt in first.optimizers.values() for group in opt.param_groups)
    history = fit(resumed, 2, out_dir=tmp_path, resume=True, progress=False)
    assert history.steps == [0, 1] and resumed.G_AB.layers[1].weight.dtype == torch.float32
    assert all(group["fused"] for opt in resumed.optimizers.values() for group in opt.param_groups)
    again = CycleGANTrainer(tiny_cyclegan(pool_size=2), tiny_domains(), device="cpu")
    assert fit(again, 3, out_dir=tmp_path, resume=True, progress=False).steps == [0, 1, 2]
    # float32 steps with the classic loop again, though the bf16 checkpoint's groups said "fused"
    assert not any(group["fused"] for opt in again.optimizers.values() for group in opt.param_groups)


def test_fused_adam_is_the_same_update_to_rounding():
    """The mixed precisions' fused Adam step and the classic loop agree to float32 rounding, and the
    switch goes both ways."""
    from gancolor.train.precision import fuse_adam

    start = torch.randn(64, 32, 4, 4, generator=torch.Generator().manual_seed(0))
    results = []
    for fused in (False, True):
        weight = torch.nn.Parameter(start.clone())
        optimizer = torch.optim.Adam([weight], lr=2e-4, betas=(0.5, 0.999))
        fuse_adam(optimizer, fused)
        grads = torch.Generator().manual_seed(1)
        for _ in range(5):
            weight.grad = torch.randn(weight.shape, generator=grads)
            optimizer.step()
        assert optimizer.param_groups[0]["fused"] is (True if fused else None)
        results.append(weight.detach())
    assert not torch.equal(start, results[0])
    torch.testing.assert_close(results[1], results[0], rtol=0, atol=1e-6)
    fuse_adam(optimizer, False)
    assert optimizer.param_groups[0]["fused"] is None and optimizer.param_groups[0]["foreach"] is None


def test_the_float16_code_path_checkpoints_the_scalers(tmp_path):
    # The trainers' autocast / GradScaler / channels_last path of CUDA's fp16, forced on the CPU
    # (CPU autocast runs float16 too); the GradScaler states go into the checkpoint.
    def precision():
        return Precision(torch.device("cpu"), amp=True, channels_last=True, optimizers=("G", "D"),
                         dtype=torch.float16)

    trainer = CycleGANTrainer(tiny_cyclegan(pool_size=2), tiny_domains(), device="cpu", precision=precision())
    assert trainer.G_AB.layers[1].weight.is_contiguous(memory_format=torch.channels_last)
    history = fit(trainer, 1, out_dir=tmp_path / "cyclegan", progress=False)
    assert all(torch.isfinite(torch.tensor(v)).all() for v in history.losses.values())
    checkpoint = load_training_checkpoint(tmp_path / "cyclegan" / "checkpoint.pt")
    assert set(checkpoint["scalers"]) == {"G", "D"} and checkpoint["scalers"]["G"]["scale"] > 0
    checkpoint["scalers"]["G"]["scale"] = 1024.0  # ... and a resume restores them
    torch.save(checkpoint, tmp_path / "cyclegan" / "checkpoint.pt")
    resumed = CycleGANTrainer(tiny_cyclegan(pool_size=2), tiny_domains(), device="cpu", precision=precision())
    fit(resumed, 2, out_dir=tmp_path / "cyclegan", resume=True, progress=False)
    assert resumed.step == 2 and resumed.precision.scalers["G"].get_scale() == 1024.0


@pytest.mark.parametrize("task", ["colorize", "multitask", "dcgan"])
def test_every_trainer_trains_in_bfloat16_from_its_config(task, tmp_path):
    """All trainers run on the shared machinery: the config's precision gives bfloat16 autocast and
    channels_last, the step code is the same, and the weights stay float32."""
    if task == "colorize":
        trainer = ColorizationTrainer(tiny_colorize(precision="bf16", channels_last=True),
                                      random_images(4, 16, seed=3), device="cpu")
    elif task == "multitask":
        config = replace(tiny_multitask(), precision="bf16", channels_last=True)
        trainer = MultiTaskTrainer(config, tiny_domains(), device="cpu")
    else:
        config = replace(tiny_dcgan(), precision="bf16")
        trainer = DCGANTrainer(config, random_images(6, 16, seed=4), device="cpu")
    seen: list[torch.dtype] = []
    handle = trainer.modules["G"].register_forward_hook(lambda module, args, out: seen.append(
        (out[0] if isinstance(out, tuple) else out).dtype))
    history = fit(trainer, 2, out_dir=tmp_path, progress=False)
    handle.remove()
    assert seen and set(seen) == {torch.bfloat16}  # G ran under bfloat16 autocast
    assert all(torch.isfinite(torch.tensor(v)).all() for v in history.losses.values())
    assert all(p.dtype == torch.float32 for p in trainer.modules["G"].parameters())  # float32 master weights


def test_precision_from_the_command_line(tmp_path, capsys):
    from gancolor.cli import main

    assert main(["train", "cyclegan", "--out", str(tmp_path), "--device", "cpu", "--amp"]) == 1
    assert "--precision fp16 needs a CUDA GPU" in capsys.readouterr().err
    assert main(["train", "cyclegan", "--out", str(tmp_path), "--device", "cpu", "--channels-last"]) == 1
    assert "--channels-last needs CUDA, or --precision bf16" in capsys.readouterr().err
    assert main(["train", "cyclegan", "--out", str(tmp_path), "--precision", "bf16", "--no-amp"]) == 1
    assert "give one of them" in capsys.readouterr().err


def test_bf16_on_the_cpu_keeps_the_default_layout_unless_asked():
    """On the CPU bf16 alone was faster than bf16 + channels_last (benchmarks/results.md), so the
    command line takes NHWC there only with --channels-last; on CUDA bf16 brings it."""
    from gancolor.commands.train_runs import speed_settings as _speed_settings

    def settings(*flags: str, device: str = "cpu") -> dict:
        args = argparse.Namespace(device=device, precision=None, amp=None, channels_last=None, config=None)
        for flag in flags:
            name, _, value = flag.partition("=")
            setattr(args, name, {"True": True, "False": False}.get(value, value))
        return _speed_settings(args)

    assert settings("precision=bf16") == {"precision": "bf16", "channels_last": False}
    assert settings("precision=bf16", "channels_last=True") == {"precision": "bf16", "channels_last": True}
    assert settings() == {"precision": "fp32", "channels_last": False}


# --------------------------------------------------------------------------------- 2 processes


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _record_writes(writes: list[str]) -> None:
    """Note every file this process writes through the package (checkpoints, models, curves, history)."""
    import gancolor.imageio
    import gancolor.io_utils
    import gancolor.model_files
    import gancolor.train.checkpoint

    def recording(function, describe):
        def wrapper(*args, **kwargs):
            writes.append(str(describe(*args, **kwargs)))
            return function(*args, **kwargs)
        return wrapper

    for module in (gancolor.train.checkpoint, gancolor.model_files):
        module.atomic_torch_save = recording(module.atomic_torch_save, lambda obj, path: path)
    gancolor.imageio.write_image = recording(gancolor.imageio.write_image, lambda path, *a, **k: path)
    gancolor.io_utils.atomic_write_json = recording(gancolor.io_utils.atomic_write_json,
                                                    lambda path, *a, **k: path)
    pathlib.Path.write_text = recording(pathlib.Path.write_text, lambda self, *a, **k: self)


def _worker(local_rank: int, port: int, root: Path) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(local_rank),
                      WORLD_SIZE=str(WORLD), LOCAL_RANK=str(local_rank))
    torch.set_num_threads(1)
    from gancolor.commands.train_runs import fit_and_export as _fit_and_export
    from gancolor.train.cyclegan import export_stylizer

    writes: list[str] = []
    _record_writes(writes)
    with distributed.launch("cpu") as ctx:
        assert ctx is not None and (ctx.rank, ctx.world_size, ctx.backend) == (local_rank, WORLD, "gloo")
        config, domains = tiny_cyclegan(pool_size=3), tiny_domains()
        preview = UnpairedDomains(domains.a[:2, :, :16, :16], domains.b[:2, :, :16, :16])

        def run(steps: int, out: Path, resume: bool) -> CycleGANTrainer:
            trainer = CycleGANTrainer(config, domains, device="cpu")
            args = argparse.Namespace(out=out, resume=resume, checkpoint_every=2, device="cpu",
                                      tensorboard=False)
            _fit_and_export(trainer, steps, args, lambda o: export_stylizer(trainer, o / "stylizer.pt"),
                            "test", preview=preview)
            return trainer

        run(K, root / "resumed", resume=False)
        if ctx.is_main:  # keep the step-K checkpoint for the comparison with one process
            shutil.copy(root / "resumed" / "checkpoint.pt", root / "step_k.pt")
        distributed.barrier()
        run(2 * K, root / "resumed", resume=True)
        uninterrupted = run(2 * K, root / "uninterrupted", resume=False)

        # pix2pix: BatchNorm (per rank on gloo), dropout (per-rank streams), hints of the global batch
        colorizer = ColorizationTrainer(tiny_colorize(), random_images(4, 16, seed=3), device="cpu")
        colorize_losses = fit(colorizer, 2, progress=False).losses
        # the multi-task and DCGAN trainers run on the same machinery (gancolor.train.engine)
        multitask = MultiTaskTrainer(tiny_multitask(), domains, device="cpu")
        multitask_losses = fit(multitask, K, progress=False).losses
        dcgan = DCGANTrainer(tiny_dcgan(), random_images(6, 16, seed=4), device="cpu")
        dcgan_losses = fit(dcgan, K, progress=False).losses
        torch.save({"writes": writes, "cyclegan": uninterrupted.G_AB.state_dict(),
                    "multitask": {name: m.state_dict() for name, m in multitask.modules.items()},
                    "multitask_losses": multitask_losses,
                    "dcgan": {name: m.state_dict() for name, m in dcgan.modules.items()},
                    "dcgan_losses": dcgan_losses,
                    # parameters only: BatchNorm's running averages are per rank on gloo
                    "colorize": {k: v.detach() for k, v in colorizer.G.named_parameters()},
                    "colorize_losses": colorize_losses,
                    "dropout": torch.rand(3)}, root / f"rank{local_rank}.pt")


def _spawn(root: Path, timeout: float = 240.0) -> None:
    context = mp.start_processes(_worker, args=(_free_port(), root), nprocs=WORLD, join=False,
                                 start_method="fork")
    deadline = time.monotonic() + timeout
    while not context.join(timeout=1.0):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail(f"the {WORLD} training processes did not finish within {timeout} s")


def _max_difference(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max((a[k].float() - b[k].float()).abs().max().item() for k in a)


@pytest.mark.slow
def test_two_processes_train_like_one_with_the_global_batch_and_resume_exactly(tmp_path):
    import gancolor.viz  # noqa: F401  (imported once here, not in each forked worker)

    _spawn(tmp_path)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]

    # 2 processes with 1 example each took the steps of 1 process with the batch of 2
    single = CycleGANTrainer(tiny_cyclegan(pool_size=3), tiny_domains(), device="cpu")
    single_history = fit(single, K, progress=False)
    step_k = load_training_checkpoint(tmp_path / "step_k.pt")
    assert step_k["step"] == K
    for name, module in single.modules.items():
        difference = _max_difference(step_k["modules"][name], module.state_dict())
        print(f"max |2 processes - 1 process| after {K} steps, {name}: {difference:.1e}")
        assert difference <= 1e-5, f"{name}: {difference}"
    for name, values in single_history.losses.items():  # the logged losses are those of the global batch
        assert values == pytest.approx(step_k["history"]["losses"][name], rel=1e-4, abs=1e-6)

    # the same for the multi-task model (pools of the global batch) and DCGAN (WGAN-GP, n_critic 2)
    for key, single_trainer in (
            ("multitask", MultiTaskTrainer(tiny_multitask(), tiny_domains(), device="cpu")),
            ("dcgan", DCGANTrainer(tiny_dcgan(), random_images(6, 16, seed=4), device="cpu"))):
        losses = fit(single_trainer, K, progress=False).losses
        for name, module in single_trainer.modules.items():
            difference = _max_difference(ranks[0][key][name], module.state_dict())
            assert difference <= 1e-5, f"{key} {name}: {difference}"
            rank0, rank1 = ranks[0][key][name], ranks[1][key][name]
            assert all(torch.equal(rank0[k], rank1[k]) for k in rank0)
        for name, values in losses.items():
            assert values == pytest.approx(ranks[0][f"{key}_losses"][name], rel=1e-4, abs=1e-6), (key, name)

    # stopped at K and resumed to 2 K = 2 K in one go, bit for bit
    resumed = load_training_checkpoint(tmp_path / "resumed" / "checkpoint.pt")
    uninterrupted = load_training_checkpoint(tmp_path / "uninterrupted" / "checkpoint.pt")
    assert resumed["step"] == uninterrupted["step"] == 2 * K
    for name in resumed["modules"]:
        for key, value in resumed["modules"][name].items():
            assert torch.equal(value, uninterrupted["modules"][name][key]), f"{name}.{key}"
    assert resumed["history"]["losses"] == uninterrupted["history"]["losses"]
    assert len(resumed["rng"]["ranks"]) == WORLD

    # DDP kept the ranks' weights identical; dropout streams differ per rank
    for key in ("cyclegan", "colorize"):
        assert all(torch.equal(ranks[0][key][k], ranks[1][key][k]) for k in ranks[0][key]), key
    assert ranks[0]["colorize_losses"] == ranks[1]["colorize_losses"]
    assert not torch.equal(ranks[0]["dropout"], ranks[1]["dropout"])

    # only rank 0 wrote files
    assert ranks[1]["writes"] == []
    written = {Path(p).relative_to(tmp_path).as_posix() for p in ranks[0]["writes"]}
    samples = {"resumed": (2, 3, 4, 6), "uninterrupted": (2, 4, 6)}  # every checkpoint shows samples
    assert written == {f"{run}/{name}" for run in ("resumed", "uninterrupted")
                       for name in ("checkpoint.pt", "stylizer.pt", "history.json", "losses.png",
                                    *(f"samples_{step:06d}.png" for step in samples[run]))}
    assert sorted(p.name for p in (tmp_path / "resumed").iterdir() if p.name != ".gancolor.lock") == [
        "checkpoint.pt", "history.json", "losses.png", *(f"samples_{s:06d}.png" for s in samples["resumed"]),
        "stylizer.pt"]


def test_bf16_on_a_cpu_without_native_bfloat16_warns_that_it_is_slower(monkeypatch):
    from gancolor.train import precision as precision_module

    monkeypatch.setattr(precision_module, "cpu_has_native_bf16", lambda: False)
    with pytest.warns(RuntimeWarning, match="no native bfloat16"):
        Precision.for_device(torch.device("cpu"), "bf16")
    monkeypatch.setattr(precision_module, "cpu_has_native_bf16", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Precision.for_device(torch.device("cpu"), "bf16")
        Precision.for_device(torch.device("cpu"), "fp32")
