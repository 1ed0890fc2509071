"""gancolor.train: step sampler, the loop (checkpoints, exact resume, NaN stop), the pix2pix trainer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from helpers import expect_one_line_errors
from torch import nn

from gancolor.errors import CheckpointError, UserError, WriteError
from gancolor.train import (
    CHECKPOINT_NAME,
    ColorizationTrainer,
    ColorizeConfig,
    History,
    StepSampler,
    Task,
    TrainingDivergedError,
    export_colorizer,
    fit,
    load_training_checkpoint,
    save_training_checkpoint,
    step_generator,
    train_colorizer,
)
from gancolor.train import checkpoint as checkpoint_module

# ---------------------------------------------------------------------------------------------
# A toy task: a tiny MLP with dropout, SGD with momentum and a step LR schedule, so that a resume
# is exact only if module, optimizer, scheduler and RNG states all come back.


class ToyTask:
    name = "toy"

    def __init__(self, seed: int = 0, lr: float = 0.1, nan_at: int | None = None,
                 poison_weights_at: int | None = None) -> None:
        torch.manual_seed(seed)
        self.seed, self.lr, self.nan_at, self.poison_weights_at = seed, lr, nan_at, poison_weights_at
        self.x = torch.randn(20, 4)
        self.y = self.x.sum(dim=1, keepdim=True)
        self.net = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Dropout(0.5), nn.Linear(16, 1))
        optimizer = torch.optim.SGD(self.net.parameters(), lr=lr, momentum=0.9)
        self.modules = {"net": self.net}
        self.optimizers = {"net": optimizer}
        self.schedulers = {"net": torch.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)}
        self.sampler = StepSampler(len(self.x), batch_size=6, seed=seed)
        self.step = 0

    def train_step(self, step: int) -> dict[str, float]:
        idx = self.sampler.indices(step)
        loss = nn.functional.mse_loss(self.net(self.x[idx]), self.y[idx])
        if step == self.nan_at:
            loss = loss * float("nan")  # poisons the weights through the update too
        self.optimizers["net"].zero_grad()
        loss.backward()
        self.optimizers["net"].step()
        self.schedulers["net"].step()
        if step == self.poison_weights_at:  # a finite loss, but the update broke the weights
            with torch.no_grad():
                self.net[0].weight[0, 0] = float("inf")
        return {"mse": loss.item()}

    def config_dict(self) -> dict:
        return {"seed": self.seed, "lr": self.lr}


def tiny_config(**overrides) -> ColorizeConfig:
    """A pix2pix small enough for a test: 16x16 crops, 3-level U-Net of width 4, 2-layer PatchGAN."""
    settings = dict(image_size=16, batch_size=4, width=4, max_width=16, depth=3, d_width=4, d_layers=2,
                    dropout=0.5, seed=0)
    return ColorizeConfig(**(settings | overrides))


def random_images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """(n, 3, size, size) uint8 images: smooth colour blobs, so L says something about ab."""
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    smooth = nn.functional.interpolate(small, size=(size, size), mode="bilinear")
    return (smooth * 255).round().to(torch.uint8)


def state_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def files_in(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


# ---------------------------------------------------------------------------------------------
# StepSampler


def test_step_sampler_is_a_pure_function_of_seed_and_step():
    a, b = StepSampler(37, 8, seed=3), StepSampler(37, 8, seed=3)
    forwards = [a.indices(s) for s in range(12)]
    backwards = [b.indices(s) for s in reversed(range(12))][::-1]  # another order, another cache
    assert all(torch.equal(x, y) for x, y in zip(forwards, backwards, strict=True))
    other_seed = [StepSampler(37, 8, seed=4).indices(s) for s in range(12)]
    assert not all(torch.equal(x, y) for x, y in zip(forwards, other_seed, strict=True))
    assert forwards[0].dtype == torch.long and forwards[0].shape == (8,)


@pytest.mark.parametrize("num_items,batch_size", [(10, 4), (7, 7), (5, 12)])
def test_step_sampler_covers_every_index_once_per_epoch(num_items, batch_size):
    sampler = StepSampler(num_items, batch_size, seed=0)
    epochs = 4
    steps = epochs * num_items // batch_size + 1
    stream = torch.cat([sampler.indices(s) for s in range(steps)])[: epochs * num_items]
    orders = stream.view(epochs, num_items)
    for order in orders:
        assert sorted(order.tolist()) == list(range(num_items))
    assert len({tuple(o.tolist()) for o in orders}) > 1  # reshuffled each epoch
    assert sampler.epoch(steps - 1) == (steps - 1) * batch_size // num_items


def test_step_generator_depends_on_seed_step_and_stream():
    draw = lambda *args: torch.rand(5, generator=step_generator(*args))  # noqa: E731
    assert torch.equal(draw(0, 7), draw(0, 7))
    assert not torch.equal(draw(0, 7), draw(0, 8))
    assert not torch.equal(draw(0, 7), draw(1, 7))
    assert not torch.equal(draw(0, 7, 0), draw(0, 7, 1))


# ---------------------------------------------------------------------------------------------
# History and the loop


def test_history_records_means_and_round_trips():
    history = History()
    for step, value in enumerate([4.0, 2.0, 1.0, 3.0]):
        history.append(step, {"d": value, "g": -value})
    assert history.mean("d") == 2.5 and history.mean("d", last=2) == 2.0 and history.mean("g", last=1) == -3.0
    assert History.from_dict(history.to_dict()) == history
    with pytest.raises(ValueError, match="reports losses"):
        history.append(4, {"d": 1.0})
    with pytest.raises(KeyError, match="'d', 'g'"):
        history.mean("nope")


def test_fit_runs_every_step_and_keeps_the_task_step():
    task = ToyTask()
    assert isinstance(task, Task)
    task.net.eval()
    history = fit(task, 5, progress=False)
    assert history.steps == [0, 1, 2, 3, 4] and len(history.losses["mse"]) == 5
    assert task.step == 5 and task.net.training
    assert history.seconds > 0


def test_toy_resume_is_exact_including_scheduler_and_rng(tmp_path):
    full = ToyTask()
    full_history = fit(full, 7, progress=False)

    first = ToyTask()
    fit(first, 4, out_dir=tmp_path, checkpoint_every=3, progress=False)
    assert load_training_checkpoint(tmp_path / CHECKPOINT_NAME)["step"] == 4  # saved at the end
    resumed = ToyTask()
    resumed_history = fit(resumed, 7, out_dir=tmp_path, resume=True, progress=False)

    assert state_equal(resumed.net.state_dict(), full.net.state_dict())
    assert resumed.schedulers["net"].get_last_lr() == full.schedulers["net"].get_last_lr()
    assert resumed_history.steps == full_history.steps
    assert resumed_history.losses == full_history.losses
    assert resumed.step == 7


def test_resume_without_restoring_rng_is_not_exact(tmp_path, monkeypatch):
    """The exact-resume tests can fail: drop the RNG restore and the dropout masks differ."""
    full = ToyTask()
    fit(full, 7, progress=False)
    fit(ToyTask(), 4, out_dir=tmp_path, progress=False)
    monkeypatch.setattr(checkpoint_module, "_set_rng_state", lambda state: None)
    resumed = ToyTask()
    fit(resumed, 7, out_dir=tmp_path, resume=True, progress=False)
    assert not state_equal(resumed.net.state_dict(), full.net.state_dict())


def test_resume_without_a_checkpoint_names_the_path(tmp_path):
    with pytest.raises(UserError, match="no checkpoint to resume from") as info:
        fit(ToyTask(), 3, out_dir=tmp_path / "run", resume=True, progress=False)
    assert str(tmp_path / "run" / CHECKPOINT_NAME) in str(info.value)
    with pytest.raises(UserError, match="needs out_dir"):
        fit(ToyTask(), 3, resume=True, progress=False)


def test_resume_refuses_another_task_or_config(tmp_path):
    fit(ToyTask(lr=0.1), 2, out_dir=tmp_path, progress=False)
    expected = r"different config: lr: 0\.1 in the checkpoint, 0\.05 now"
    with pytest.raises(CheckpointError, match=expected) as info:
        fit(ToyTask(lr=0.05), 4, out_dir=tmp_path, resume=True, progress=False)
    assert "\n" not in str(info.value)

    other = ToyTask()
    other.name = "cyclegan"
    with pytest.raises(CheckpointError, match="is a 'toy' checkpoint, not 'cyclegan'"):
        fit(other, 4, out_dir=tmp_path, resume=True, progress=False)


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    reference = ToyTask()
    fit(reference, 2, progress=False)  # the state after the last checkpoint before the NaN

    task = ToyTask(nan_at=3)
    with pytest.raises(TrainingDivergedError) as info:
        fit(task, 10, out_dir=tmp_path, checkpoint_every=2, progress=False)
    message = str(info.value)
    assert "step 3" in message and "'mse'" in message and "nan" in message
    assert str(tmp_path / CHECKPOINT_NAME) in message and "after 2 steps" in message
    assert "\n" not in message and isinstance(info.value, UserError)
    assert not torch.isfinite(task.net[0].weight).all()  # in memory the state is broken ...

    on_disk = load_training_checkpoint(tmp_path / CHECKPOINT_NAME)  # ... on disk it is not
    assert on_disk["step"] == 2 and on_disk["history"]["steps"] == [0, 1]
    assert state_equal(on_disk["modules"]["net"], reference.net.state_dict())
    assert files_in(tmp_path) == [CHECKPOINT_NAME]


def test_nonfinite_weights_are_never_saved(tmp_path):
    task = ToyTask(poison_weights_at=2)
    with pytest.raises(TrainingDivergedError, match=r"step 2: weight net\.0\.weight became nan or inf"):
        fit(task, 10, out_dir=tmp_path, checkpoint_every=3, progress=False)
    assert not (tmp_path / CHECKPOINT_NAME).exists()


def test_nan_without_out_dir_says_nothing_was_kept():
    with pytest.raises(TrainingDivergedError, match="step 0: loss 'mse' is nan; no checkpoint is kept"):
        fit(ToyTask(nan_at=0), 3, progress=False)


# ---------------------------------------------------------------------------------------------
# Checkpoint files


def test_bad_checkpoint_files_raise_one_line_checkpoint_errors(tmp_path):
    good = tmp_path / "good.pt"
    save_training_checkpoint(good, ToyTask(), 0, History())
    data = good.read_bytes()
    cases = {
        "missing.pt": (None, "no such checkpoint file"),
        "garbage.pt": (b"this is not a checkpoint", "not a readable PyTorch checkpoint"),
        "truncated.pt": (data[: len(data) // 2], "not a readable PyTorch checkpoint"),
        "empty.pt": (b"", "not a readable PyTorch checkpoint"),
        "tensor.pt": (torch.zeros(3), "not a gancolor training checkpoint (format: Tensor)"),
        "dict.pt": ({"weights": torch.zeros(3)}, "not a gancolor training checkpoint (format: None)"),
        "colorizer.pt": ({"format": "gancolor.colorizer"}, "an exported colorizer"),
    }
    expect_one_line_errors(tmp_path, cases, load_training_checkpoint)


def test_checkpoint_holds_only_safe_types_and_the_run_metadata(tmp_path):
    task = ToyTask()
    history = fit(task, 3, out_dir=tmp_path, progress=False)
    checkpoint = torch.load(tmp_path / CHECKPOINT_NAME, weights_only=True)
    assert checkpoint["format"] == "gancolor.training_checkpoint" and checkpoint["task"] == "toy"
    assert checkpoint["config"] == {"seed": 0, "lr": 0.1} and checkpoint["step"] == 3
    assert checkpoint["history"]["losses"] == history.losses
    assert torch.equal(checkpoint["rng"]["torch"], torch.get_rng_state())
    assert set(checkpoint["optimizers"]) == set(checkpoint["schedulers"]) == {"net"}
    import gancolor

    assert checkpoint["gancolor_version"] == gancolor.__version__


def test_checkpoint_saves_are_atomic(tmp_path, monkeypatch):
    task = ToyTask()
    fit(task, 4, out_dir=tmp_path, checkpoint_every=1, progress=False)
    assert files_in(tmp_path) == [CHECKPOINT_NAME]  # four saves, no temporary files left
    before = (tmp_path / CHECKPOINT_NAME).read_bytes()

    def crashing_save(obj, f):  # a crash halfway through writing
        Path(f).write_bytes(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crashing_save)
    with pytest.raises(WriteError, match="disk full"):  # one line, the old checkpoint kept
        fit(task, 6, out_dir=tmp_path, resume=True, checkpoint_every=1, progress=False)
    assert files_in(tmp_path) == [CHECKPOINT_NAME]
    assert (tmp_path / CHECKPOINT_NAME).read_bytes() == before


# ---------------------------------------------------------------------------------------------
# pix2pix colorization


def test_colorize_config_round_trips_and_rejects_unknown_keys():
    config = tiny_config(lambda_l1=10.0)
    assert ColorizeConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown ColorizeConfig setting.*lamda"):
        ColorizeConfig.from_dict({"lamda_l1": 10.0})


def test_colorization_trainer_rejects_unusable_images():
    with pytest.raises(UserError, match="smaller than image_size=16"):
        ColorizationTrainer(tiny_config(), random_images(4, 8))
    with pytest.raises(UserError, match="uint8"):
        ColorizationTrainer(tiny_config(), random_images(4, 16).float())
    with pytest.raises(ValueError, match="multiple of 8"):
        ColorizationTrainer(tiny_config(image_size=20), random_images(4, 20))


def test_colorization_batches_are_random_crops_and_flips_fixed_by_the_step():
    images = random_images(6, 24)
    trainer = ColorizationTrainer(tiny_config(), images, device="cpu")
    batch = trainer.batch(3)
    L, ab = batch["L"], batch["ab"]  # noqa: N806
    assert L.shape == (4, 1, 16, 16) and ab.shape == (4, 2, 16, 16) and batch["x"] is L
    assert L.min() >= -1 and L.max() <= 1
    assert torch.equal(trainer.batch(3)["L"], L)
    assert not torch.equal(trainer.batch(4)["L"], L)
    # Every sample is a 16x16 window of its source image, maybe mirrored.
    from gancolor.data import lab_batch

    for i, source in zip(trainer.sampler.indices(3).tolist(), L, strict=True):
        windows = images[i].unfold(1, 16, 1).unfold(2, 16, 1).permute(1, 2, 0, 3, 4).reshape(-1, 3, 16, 16)
        candidates = lab_batch(torch.cat([windows, windows.flip(-1)]))[0]
        assert (candidates - source).abs().flatten(1).amax(1).min() < 1e-5


def test_gan_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    config = tiny_config()  # GAN mode, dropout on: resume is exact only with the RNG state restored
    images = random_images(6, 20)  # larger than image_size: random crops every step
    full, full_history = train_colorizer(config, images, 5, progress=False, device="cpu")

    train_colorizer(config, images, 2, out_dir=tmp_path, progress=False, device="cpu")
    resumed, resumed_history = train_colorizer(config, images, 5, out_dir=tmp_path, resume=True,
                                               progress=False, device="cpu")

    assert set(resumed.modules) == {"G", "D"}
    assert state_equal(resumed.G.state_dict(), full.G.state_dict())
    assert state_equal(resumed.D.state_dict(), full.D.state_dict())
    assert resumed_history.steps == full_history.steps == [0, 1, 2, 3, 4]
    assert resumed_history.losses == full_history.losses
    assert set(full_history.losses) == {"d", "g_gan", "g_l1"}
    # and the run did train: the weights moved from their initial values
    assert not state_equal(full.G.state_dict(), ColorizationTrainer(config, images, "cpu").G.state_dict())


def test_gan_resume_refuses_other_images(tmp_path):
    config = tiny_config()
    train_colorizer(config, random_images(6, 16), 1, out_dir=tmp_path, progress=False, device="cpu")
    with pytest.raises(CheckpointError, match="data.sha"):
        train_colorizer(config, random_images(6, 16, seed=1), 2, out_dir=tmp_path, resume=True,
                        progress=False, device="cpu")


def test_l1_only_has_no_discriminator_and_learns():
    # Every batch is the same 8 images (no flips, no dropout): the loss can only fall by learning.
    config = tiny_config(l1_only=True, batch_size=8, flip=False, dropout=0.0, lr=2e-3)
    trainer = ColorizationTrainer(config, random_images(8, 16), device="cpu")
    assert trainer.D is None and set(trainer.modules) == set(trainer.optimizers) == {"G"}
    history = fit(trainer, 30, progress=False)
    assert set(history.losses) == {"g_l1"}
    first, last = history.losses["g_l1"][0], history.mean("g_l1", last=5)
    assert last < 0.6 * first, (first, last)


@pytest.mark.parametrize("half", [False, True])
def test_exported_colorizer_rebuilds_the_trained_generator(tmp_path, half):
    from gancolor.models import UNetGenerator

    trainer, _ = train_colorizer(tiny_config(), random_images(6, 16), 3, progress=False, device="cpu")
    path = export_colorizer(trainer, tmp_path / "colorizer.pt", half=half, inference_size=48)
    assert files_in(tmp_path) == ["colorizer.pt"]
    blob = torch.load(path, weights_only=True)
    assert blob["format"] == "gancolor.colorizer" and blob["format_version"] == 1
    assert blob["mode"] == "gan" and blob["steps"] == 3 and blob["inference_size"] == 48
    assert ColorizeConfig.from_dict(blob["train_config"]) == trainer.config
    assert blob["generator"]["class"] == "UNetGenerator"

    rebuilt = UNetGenerator(**blob["generator"]["config"])
    rebuilt.load_state_dict(blob["generator"]["state_dict"])
    rebuilt.eval()
    trainer.G.eval()
    L = torch.rand(2, 1, 16, 16) * 2 - 1  # noqa: N806
    with torch.no_grad():
        expected, got = trainer.G(L), rebuilt(L)
    if half:
        assert (expected - got).abs().max() < 5e-3
    else:
        assert torch.equal(expected, got)

    from gancolor.infer.colorizer import load_colorizer  # the loader the CLI and the demo use

    colorizer = load_colorizer(path)
    assert colorizer.inference_size == 48 and colorizer.mode == "gan"
    assert torch.equal(colorizer.predict_ab(L), got)


def test_default_colorizer_export_is_under_10_mb(tmp_path):
    trainer = ColorizationTrainer(ColorizeConfig(), random_images(2, 64), device="cpu")
    path = export_colorizer(trainer, tmp_path / "colorizer.pt")
    assert path.stat().st_size < 10 * 1024**2
