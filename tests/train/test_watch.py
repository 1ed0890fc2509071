"""gancolor.train.watch: curves and samples at each checkpoint, TensorBoard events, the trainers' previews."""

from __future__ import annotations

import pytest
import torch

from gancolor.data import UnpairedDomains
from gancolor.errors import UserError
from gancolor.train import fit
from gancolor.train.colour_and_style import MultiTaskConfig, MultiTaskTrainer
from gancolor.train.cyclegan import CycleGANConfig, CycleGANTrainer
from gancolor.train.pix2pix import ColorizationTrainer, ColorizeConfig
from gancolor.train.unconditional import DCGANConfig, DCGANTrainer
from gancolor.train.watch import TrainingMonitor, center_crops, sample_file_name


def images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)


def tiny_colorize(**overrides) -> ColorizeConfig:
    return ColorizeConfig(**(dict(image_size=16, batch_size=4, width=4, max_width=8, depth=2, d_width=4,
                                  d_layers=2) | overrides))


def test_center_crops_and_sample_names():
    x = torch.arange(2 * 3 * 6 * 8).reshape(2, 3, 6, 8)
    assert torch.equal(center_crops(x, 4), x[..., 1:5, 2:6])
    with pytest.raises(ValueError, match="smaller"):
        center_crops(x, 7)
    assert sample_file_name(500) == "samples_000500.png" < sample_file_name(1000)


def test_every_checkpoint_writes_curves_and_samples_and_leaves_training_unchanged(tmp_path):
    held_out = images(3, 16, seed=1)
    watched = ColorizationTrainer(tiny_colorize(hints=True, hint_max_size=3), images(6, 20), device="cpu")
    monitor = TrainingMonitor(tmp_path, preview_data=held_out)
    history = fit(watched, 4, out_dir=tmp_path, checkpoint_every=2, progress=False, monitor=monitor)
    assert (tmp_path / "losses.png").stat().st_size > 0
    samples = sorted(p.name for p in tmp_path.glob("samples_*.png"))
    assert samples == ["samples_000002.png", "samples_000004.png"]
    # the previews (eval mode, no gradients, fixed hints) do not change what training does
    plain = ColorizationTrainer(tiny_colorize(hints=True, hint_max_size=3), images(6, 20), device="cpu")
    assert fit(plain, 4, progress=False).losses == history.losses
    plain_weights, watched_weights = plain.G.state_dict(), watched.G.state_dict()
    assert all(torch.equal(plain_weights[k], watched_weights[k]) for k in plain_weights)
    columns = watched.preview(held_out)
    assert list(columns) == ["input", "output", "truth"]
    assert all(c.shape == (3, 3, 16, 16) and 0 <= c.min() and c.max() <= 1 for c in columns.values())
    assert torch.allclose(columns["truth"], held_out.float() / 255)


def test_every_trainer_has_a_preview():
    domains = UnpairedDomains(images(4, 16, 2), images(4, 16, 3), paired=True, names=("summer", "winter"))
    cyclegan = CycleGANTrainer(CycleGANConfig(image_size=16, width=4, n_blocks=1, d_width=4, d_layers=2),
                               domains, device="cpu")
    columns = list(cyclegan.preview(domains))
    assert columns == ["summer", "summer -> winter", "true winter", "winter -> summer"]
    multitask = MultiTaskTrainer(MultiTaskConfig(image_size=16, width=4, depth=2, max_width=8, f_width=4,
                                                 f_blocks=1, d_width=4, d_layers=2), domains, device="cpu")
    shown = multitask.preview(domains)
    assert list(shown) == ["gray", "colour head", "true colours", "style head", "true winter"]
    assert all(c.shape == (4, 3, 16, 16) for c in shown.values())
    dcgan = DCGANTrainer(DCGANConfig(width=4, batch_size=4), images(4, 32), device="cpu")
    assert [c.shape for c in dcgan.preview().values()] == [(4, 3, 32, 32)] * 4
    classify = ColorizationTrainer(tiny_colorize(classify=True), images(4, 16), device="cpu")
    assert classify.preview(images(2, 16))["output"].shape == (2, 3, 16, 16)


def test_tensorboard_events_hold_the_losses_and_the_sample_grid(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    trainer = ColorizationTrainer(tiny_colorize(l1_only=True), images(6, 16), device="cpu")
    monitor = TrainingMonitor(tmp_path, preview_data=images(2, 16, seed=5), tensorboard=True)
    fit(trainer, 3, out_dir=tmp_path, checkpoint_every=3, progress=False, monitor=monitor)
    monitor.close()
    events = EventAccumulator(str(tmp_path))
    events.Reload()
    assert [s.step for s in events.Scalars("loss/g_l1")] == [0, 1, 2]
    (image,) = events.Images("samples")
    assert image.step == 3 and (image.width, image.height) == (3 * 16, 2 * 16)


def test_tensorboard_missing_is_a_one_line_error(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name == "torch.utils.tensorboard":
            raise ImportError("no tensorboard")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(UserError, match="pip install tensorboard"):
        TrainingMonitor(tmp_path, tensorboard=True)
