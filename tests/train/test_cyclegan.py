"""CycleGAN core: ResNet generator, cycle / identity losses, image pool, LR schedule, crops, checkpoint
extra state, and the trainer (losses, unpaired batches, exact resume with the pools)."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from gancolor.data import UnpairedDomains
from gancolor.errors import CheckpointError, UserError
from gancolor.losses import cycle_loss, identity_loss
from gancolor.models import ResnetGenerator, count_parameters
from gancolor.train import History, Task, fit, load_training_checkpoint, save_training_checkpoint
from gancolor.train.checkpoint import restore_training_state
from gancolor.train.cyclegan import LOSS_NAMES, CycleGANConfig, CycleGANTrainer, coarse, train_cyclegan
from gancolor.train.engine import Networks
from gancolor.train.image_pool import ImagePool
from gancolor.train.sampling import random_crops_and_flips, step_generator
from gancolor.train.schedule import linear_decay


def _on_meta(cls, **config):
    with torch.device("meta"):
        return cls(**config)


def random_images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    """(n, 3, size, size) uint8 smooth colour blobs."""
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    smooth = nn.functional.interpolate(small, size=(size, size), mode="bilinear")
    return (smooth * 255).round().to(torch.uint8)


def tiny_domains(n: int = 5, size: int = 20, paired: bool = True) -> UnpairedDomains:
    a = random_images(n, size, seed=1)
    b = (255 - a) if paired else random_images(n + 1, size, seed=2)  # "winter" = the negative, pixel-aligned
    return UnpairedDomains(a=a, b=b, paired=paired, names=("summer", "winter"), source="test")


def tiny_config(**overrides) -> CycleGANConfig:
    settings = dict(image_size=16, batch_size=2, width=4, n_blocks=1, d_width=4, d_layers=2, pool_size=3,
                    steps=6, seed=0)
    return CycleGANConfig(**(settings | overrides))


def state_equal(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# --------------------------------------------------------------------------------- ResNet generator


@pytest.mark.parametrize("upsample", ["transpose", "bilinear"])
def test_resnet_keeps_the_shape_and_range(upsample):
    torch.manual_seed(0)
    model = ResnetGenerator(width=8, n_blocks=2, upsample=upsample)
    x = 50 * torch.randn(2, 3, 32, 44)  # large inputs push the tanh to its limits
    y = model(x)
    assert y.shape == (2, 3, 32, 44) and y.abs().max() <= 1.0
    assert model.size_multiple == 4 and model.min_size == 8
    assert ResnetGenerator(width=4, n_blocks=1, n_down=3).size_multiple == 8
    bottom = []
    model.layers[10].register_forward_hook(lambda module, inputs, output: bottom.append(output))
    model(x[:1])
    assert bottom[0].shape == (1, 32, 8, 11)  # 4 k channels at H / 4 in the residual blocks


@pytest.mark.parametrize("shape", [(1, 3, 30, 32), (1, 3, 32, 33), (1, 3, 4, 32), (1, 1, 32, 32),
                                   (3, 32, 32)])
def test_resnet_rejects_odd_sizes_with_the_size_to_pad_to(shape):
    model = ResnetGenerator(width=4, n_blocks=1)
    with pytest.raises(ValueError, match=r"divisible by 4 and at least 8.*pad to|expects input of shape"):
        model(torch.zeros(shape))


def test_resnet_parameter_count_matches_the_paper_and_the_formula():
    # pytorch-CycleGAN-and-pix2pix prints 11.378 M for resnet_9blocks (ngf=64); ours has an affine
    # instance norm instead of conv biases: + sum of the normalised channels (5248).
    paper = count_parameters(_on_meta(ResnetGenerator, width=64, n_blocks=9))
    assert paper == 11_378_179 + 5248
    k, n = 32, 6
    formula = (3 * k * 49 + 2 * k  # c7s1-k + norm
               + k * 2 * k * 9 + 4 * k + 2 * k * 4 * k * 9 + 8 * k  # d2k, d4k
               + n * 2 * (4 * k * 4 * k * 9 + 8 * k)  # residual blocks
               + 4 * k * 2 * k * 9 + 4 * k + 2 * k * k * 9 + 2 * k  # u2k, uk
               + k * 3 * 49 + 3)  # c7s1-3 with its bias
    assert count_parameters(ResnetGenerator()) == formula == 1_966_915


def test_resnet_uses_reflection_padding_and_instance_norm():
    model = ResnetGenerator(width=4, n_blocks=3)
    assert sum(isinstance(m, nn.ReflectionPad2d) for m in model.modules()) == 2 + 2 * 3
    assert sum(isinstance(m, nn.InstanceNorm2d) for m in model.modules()) == 1 + 2 + 2 * 3 + 2
    norms = [m for m in model.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert all(m.affine and not m.track_running_stats for m in norms)
    blocks = [m for m in model.modules() if type(m).__name__ == "ResidualBlock"]
    assert len(blocks) == 3
    for block in blocks:  # their 3x3 convs pad by reflection, not with zeros
        assert all(c.padding == (0, 0) for c in block.modules() if isinstance(c, nn.Conv2d))
    assert isinstance(model.layers[-1], nn.Tanh)
    assert sum(isinstance(m, nn.ConvTranspose2d) for m in model.modules()) == 2
    assert not any(isinstance(m, nn.ConvTranspose2d) for m in ResnetGenerator(upsample="bilinear").modules())


def test_residual_blocks_add_their_input():
    model = ResnetGenerator(width=4, n_blocks=1)
    block = model.layers[10]
    x = torch.randn(2, 16, 6, 6)
    last_norm = block.body[-1]
    with torch.no_grad():
        last_norm.weight.zero_()
        last_norm.bias.zero_()
    assert torch.equal(block(x), x)  # F(x) = 0: the block is the identity
    with torch.no_grad():
        last_norm.bias.fill_(0.5)
    assert torch.allclose(block(x), x + 0.5)


def test_residual_generator_starts_as_the_identity_and_learns_a_change():
    torch.manual_seed(0)
    model = ResnetGenerator(width=4, n_blocks=1, residual=True)
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    assert torch.allclose(model(x), x, atol=1e-6)  # h = 0: G(x) = x
    assert model.config["residual"] is True and "residual" not in ResnetGenerator(width=4).config
    assert not any(isinstance(m, nn.Tanh) for m in model.modules())  # tanh sits in add_change
    loss = (model(x) - x.flip(-1)).abs().mean()
    loss.backward()
    last = [m for m in model.modules() if isinstance(m, nn.Conv2d)][-1]
    assert last.weight.grad.abs().sum() > 0  # the zero layer is trained
    with torch.no_grad():
        last.bias.fill_(0.3)
    out = model(x)
    assert torch.allclose(out, torch.tanh(torch.atanh(x.clamp(-0.999, 0.999)) + 0.3), atol=1e-6)
    assert out.abs().max() < 1  # in range whatever h is
    with pytest.raises(ValueError, match="out_channels"):
        ResnetGenerator(3, 1, residual=True)


def test_cyclegan_residual_setting_reaches_the_generators_and_is_left_out_when_off():
    trainer = CycleGANTrainer(tiny_config(residual=True), tiny_domains(), "cpu")
    assert trainer.G_AB.residual and trainer.G_BA.residual
    assert trainer.config.to_dict()["residual"] is True
    assert "residual" not in tiny_config().to_dict()  # old checkpoints still compare equal
    assert CycleGANConfig.from_dict(tiny_config(residual=True).to_dict()).residual


def test_coarse_cycle_forgives_detail_finer_than_its_factor():
    torch.manual_seed(0)
    x = torch.rand(2, 3, 16, 16)
    wiggle = torch.tensor([[1.0, -1.0], [-1.0, 1.0]]).repeat(8, 8) * 0.1  # zero mean in every 2x2 block
    (a, b) = coarse((x + wiggle, x), 2)
    assert a.shape == (2, 3, 8, 8) and torch.allclose(a, b, atol=1e-6)  # invisible at 1/2
    assert coarse((x,), 1)[0] is x
    assert cycle_loss(*coarse((x + wiggle, x), 1)) > 0.09
    trainer = CycleGANTrainer(tiny_config(cycle_a_downsample=4), tiny_domains(), "cpu")
    nets, batch = Networks(trainer.modules), trainer.batch(0)
    with torch.no_grad():
        fakes = trainer.generate(nets, batch)
        _, terms = trainer.g_losses(nets, batch, fakes)
        rec_a = trainer.G_BA(fakes["fake_b"])
    assert torch.isclose(terms["cycle_a"], cycle_loss(*coarse((rec_a, batch["real_a"]), 4)))
    assert "cycle_a_downsample" not in tiny_config().to_dict()
    for bad in (0, 3):  # 16 px crops: 3 does not divide them
        with pytest.raises(ValueError, match="cycle_a_downsample"):
            CycleGANTrainer(tiny_config(cycle_a_downsample=bad), tiny_domains(), "cpu")


def test_discriminators_take_their_own_norm_when_given():
    def norms(module: nn.Module) -> set[type]:
        return {type(m) for m in module.modules() if isinstance(m, (nn.InstanceNorm2d, nn.BatchNorm2d))}

    default = CycleGANTrainer(tiny_config(), tiny_domains(), "cpu")
    assert norms(default.D_A) == norms(default.G_AB) == {nn.InstanceNorm2d}  # one norm for both
    plain_d = CycleGANTrainer(tiny_config(d_norm="none"), tiny_domains(), "cpu")
    assert norms(plain_d.D_A) == norms(plain_d.D_B) == set() and norms(plain_d.G_AB) == {nn.InstanceNorm2d}
    assert "d_norm" not in tiny_config().to_dict()
    assert tiny_config(d_norm="none").to_dict()["d_norm"] == "none"
    with pytest.raises(ValueError, match="norm"):
        CycleGANTrainer(tiny_config(d_norm="layer"), tiny_domains(), "cpu")


def test_resnet_is_rebuilt_from_its_config_and_seed():
    torch.manual_seed(3)
    a = ResnetGenerator(width=4, n_blocks=2, upsample="bilinear")
    torch.manual_seed(3)
    b = ResnetGenerator(**a.config)
    assert state_equal(a.state_dict(), b.state_dict())
    with pytest.raises(ValueError, match="upsample"):
        ResnetGenerator(upsample="nearest")
    with pytest.raises(ValueError, match="norm"):
        ResnetGenerator(norm="layer")


# --------------------------------------------------------------------------------- losses


def test_cycle_and_identity_losses_are_l1_means():
    original = torch.tensor([[[[0.0, 1.0], [-1.0, 0.5]]]]).expand(1, 3, 2, 2)
    reconstructed = torch.tensor([[[[0.5, 1.0], [0.0, -0.5]]]]).expand(1, 3, 2, 2)
    expected = (0.5 + 0.0 + 1.0 + 1.0) / 4
    assert cycle_loss(reconstructed, original).item() == pytest.approx(expected)
    assert identity_loss(reconstructed, original).item() == pytest.approx(expected)
    assert cycle_loss(original, original).item() == 0.0
    with pytest.raises(ValueError, match="same shape"):
        cycle_loss(original, original[..., :1])


# --------------------------------------------------------------------------------- image pool


def _images(n: int, start: int = 0) -> torch.Tensor:
    """n images (n, 1, 2, 2), image i filled with the value start + i: easy to recognise."""
    values = torch.arange(start, start + n, dtype=torch.float32)
    return values[:, None, None, None].expand(n, 1, 2, 2).clone()


def test_pool_returns_and_stores_new_images_while_filling():
    pool = ImagePool(size=5)
    out = pool.query(_images(3), torch.Generator().manual_seed(0))
    assert torch.equal(out, _images(3)) and len(pool) == 3
    out = pool.query(_images(2, start=3), torch.Generator().manual_seed(1))
    assert torch.equal(out, _images(2, start=3)) and len(pool) == 5


def test_full_pool_swaps_about_half_of_the_images_with_stored_ones():
    pool = ImagePool(size=4)
    pool.query(_images(4), torch.Generator().manual_seed(0))  # stores 0, 1, 2, 3
    new = _images(400, start=100)
    out = pool.query(new, torch.Generator().manual_seed(1))
    values = out[:, 0, 0, 0]
    swapped = values != new[:, 0, 0, 0]
    assert 160 < int(swapped.sum()) < 240  # p = 1/2
    returned_old = values[swapped]
    # A swapped image is an earlier one: one of the first four or a new one that was stored before.
    assert bool(((returned_old < 4) | ((returned_old >= 100) & (returned_old < 500))).all())
    assert len(pool) == 4 and set(returned_old[:4].tolist()) <= set(range(4)) | set(range(100, 500))
    everything = set(range(4)) | set(range(100, 500))
    stored = {int(image[0, 0, 0]) for image in pool.images}
    assert stored <= everything and len(stored) == 4
    # Nothing is lost or duplicated: what came out plus what is stored is what went in.
    assert sorted(values.tolist() + sorted(stored)) == sorted(everything)


def test_pool_is_deterministic_and_its_state_round_trips():
    def run(pool: ImagePool, steps: range) -> list[torch.Tensor]:
        return [pool.query(_images(3, start=10 * s), step_generator(0, s)) for s in steps]

    full = ImagePool(size=4)
    outputs = run(full, range(6))
    first = ImagePool(size=4)
    run(first, range(3))
    resumed = ImagePool(size=4)
    resumed.load_state_dict(first.state_dict())
    assert all(torch.equal(x, y) for x, y in zip(outputs[3:], run(resumed, range(3, 6)), strict=True))
    fresh = run(ImagePool(size=4), range(3, 6))  # without the state: other images come out
    assert not all(torch.equal(x, y) for x, y in zip(outputs[3:], fresh, strict=True))
    state = full.state_dict()
    assert state["size"] == 4 and state["images"].shape == (4, 1, 2, 2)
    with pytest.raises(ValueError, match="size 4 in the state, 5 here"):
        ImagePool(size=5).load_state_dict(state)


def test_pool_of_size_zero_passes_through():
    pool = ImagePool(size=0)
    x = _images(3)
    assert torch.equal(pool.query(x, torch.Generator().manual_seed(0)), x) and len(pool) == 0
    assert pool.state_dict()["images"].numel() == 0
    ImagePool(size=2).load_state_dict(ImagePool(size=2).state_dict())  # an empty pool round-trips
    with pytest.raises(ValueError, match=">= 0"):
        ImagePool(size=-1)


# --------------------------------------------------------------------------------- schedule


def _lrs(total: int, decay: int, lr: float = 1.0) -> list[float]:
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = linear_decay(optimizer, total, decay)
    lrs = []
    for _ in range(total + 1):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def test_linear_decay_is_constant_then_falls_linearly_to_zero():
    assert _lrs(10, 4, lr=2.0) == pytest.approx([2.0] * 7 + [1.5, 1.0, 0.5, 0.0])
    assert _lrs(4, 0) == [1.0] * 5
    assert _lrs(4, 4) == pytest.approx([1.0, 0.75, 0.5, 0.25, 0.0])
    with pytest.raises(ValueError, match="decay_steps"):
        _lrs(4, 5)


def test_linear_decay_state_round_trips():
    optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = linear_decay(optimizer, 10, 4)
    for _ in range(8):
        optimizer.step()
        scheduler.step()
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"total_steps": 10, "decay_steps": 4}]
    other_optimizer = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=1.0)
    other = linear_decay(other_optimizer, 10, 4)
    other.load_state_dict(state)
    other_optimizer.step()
    other.step()
    optimizer.step()
    scheduler.step()
    assert other.get_last_lr() == scheduler.get_last_lr() == pytest.approx([0.25])


# --------------------------------------------------------------------------------- crops


def test_random_crops_are_windows_of_their_images_fixed_by_the_generator():
    images = random_images(6, 24)
    crops = random_crops_and_flips(images, 16, step_generator(0, 5))
    assert crops.shape == (6, 3, 16, 16) and crops.dtype == torch.uint8
    assert torch.equal(crops, random_crops_and_flips(images, 16, step_generator(0, 5)))
    assert not torch.equal(crops, random_crops_and_flips(images, 16, step_generator(0, 6)))
    for image, crop in zip(images, crops, strict=True):
        windows = image.unfold(1, 16, 1).unfold(2, 16, 1).permute(1, 2, 0, 3, 4).reshape(-1, 3, 16, 16)
        windows = torch.cat([windows, windows.flip(-1)])
        assert (windows == crop).flatten(1).all(1).any()
    same_size = random_images(4, 16)
    assert torch.equal(random_crops_and_flips(same_size, 16, step_generator(0, 0), flip=False), same_size)
    with pytest.raises(ValueError, match="smaller than the crop size"):
        random_crops_and_flips(same_size, 20, step_generator(0, 0))




# --------------------------------------------------------------------------------- checkpoint extra state


class PlainCounterTask:
    """A task without extra state (like every task before CycleGAN)."""

    name = "counter"

    def __init__(self) -> None:
        torch.manual_seed(0)
        self.net = nn.Linear(2, 1)
        self.modules = {"net": self.net}
        self.optimizers = {"net": torch.optim.SGD(self.net.parameters(), lr=0.1)}
        self.schedulers: dict = {}
        self.step = 0
        self.total = torch.zeros(2)

    def train_step(self, step: int) -> dict[str, float]:
        self.total += step
        loss = (self.net(self.total[None]) ** 2).mean()
        self.optimizers["net"].zero_grad()
        loss.backward()
        self.optimizers["net"].step()
        return {"loss": loss.item()}

    def config_dict(self) -> dict:
        return {}


class CounterTask(PlainCounterTask):
    """Its exact resume needs state outside its modules: the running total."""

    def extra_state(self) -> dict:
        return {"total": self.total.clone()}

    def load_extra_state(self, state: dict) -> None:
        if state["total"].shape != self.total.shape:
            raise ValueError(f"total of shape {tuple(state['total'].shape)}")
        self.total = state["total"].clone()


def test_checkpoint_saves_and_restores_extra_state(tmp_path):
    full = CounterTask()
    full_history = fit(full, 6, progress=False)
    first = CounterTask()
    fit(first, 3, out_dir=tmp_path, progress=False)
    saved = load_training_checkpoint(tmp_path / "checkpoint.pt")["extra"]
    assert torch.equal(saved["total"], torch.full((2,), 3.0))
    resumed = CounterTask()
    resumed_history = fit(resumed, 6, out_dir=tmp_path, resume=True, progress=False)
    assert torch.equal(resumed.total, full.total) and resumed_history.losses == full_history.losses
    assert state_equal(resumed.net.state_dict(), full.net.state_dict())


def test_checkpoint_and_task_must_agree_on_extra_state(tmp_path):
    with_extra, without = tmp_path / "with.pt", tmp_path / "without.pt"
    save_training_checkpoint(with_extra, CounterTask(), 0, History())
    plain = PlainCounterTask()
    save_training_checkpoint(without, plain, 0, History())
    assert "extra" not in load_training_checkpoint(without)
    restore_training_state(plain, load_training_checkpoint(without), without)  # plain tasks work as before
    with pytest.raises(CheckpointError, match=r"holds extra state \(total\) that the 'counter' task cannot"):
        restore_training_state(plain, load_training_checkpoint(with_extra), with_extra)
    stylizer = tmp_path / "stylizer.pt"
    torch.save({"format": "gancolor.stylizer"}, stylizer)
    with pytest.raises(CheckpointError, match="an exported stylizer: load it with gancolor.stylize"):
        load_training_checkpoint(stylizer)
    with pytest.raises(CheckpointError, match="holds no extra state, which the 'counter' task needs"):
        restore_training_state(CounterTask(), load_training_checkpoint(without), without)
    checkpoint = load_training_checkpoint(with_extra)
    checkpoint["extra"]["total"] = torch.zeros(3)
    expected = r"extra state does not match \(total of shape \(3,\)\)"
    with pytest.raises(CheckpointError, match=expected) as info:
        restore_training_state(CounterTask(), checkpoint, with_extra)
    assert str(info.value).startswith(str(with_extra)) and "\n" not in str(info.value)


# --------------------------------------------------------------------------------- trainer


def test_cyclegan_config_round_trips_and_rejects_unknown_keys():
    config = tiny_config(lambda_cycle=5.0)
    assert CycleGANConfig.from_dict(config.to_dict()) == config
    assert config.resolved_decay_steps == 3 and tiny_config(decay_steps=0).resolved_decay_steps == 0
    with pytest.raises(ValueError, match="unknown CycleGANConfig setting.*lamda"):
        CycleGANConfig.from_dict({"lamda_cycle": 1.0})


def test_trainer_rejects_unusable_settings():
    with pytest.raises(UserError, match=r"domain B images are \(12, 12\) px, smaller than image_size=16"):
        CycleGANTrainer(tiny_config(), UnpairedDomains(random_images(2, 16), random_images(2, 12)), "cpu")
    with pytest.raises(ValueError, match="multiple of 4"):
        CycleGANTrainer(tiny_config(image_size=18), tiny_domains(), "cpu")
    with pytest.raises(ValueError, match="gan_loss"):
        CycleGANTrainer(tiny_config(gan_loss="ls"), tiny_domains(), "cpu")
    with pytest.raises(ValueError, match="decay_steps"):
        CycleGANTrainer(tiny_config(decay_steps=7), tiny_domains(), "cpu")


def test_batches_are_unpaired_crops_fixed_by_the_step():
    domains = tiny_domains(n=8, size=20)  # paired data: b[i] is the negative of a[i]
    trainer = CycleGANTrainer(tiny_config(batch_size=4), domains, "cpu")
    assert isinstance(trainer, Task) and set(trainer.modules) == {"G_AB", "G_BA", "D_A", "D_B"}
    real_a, real_b = trainer.batch(2)["real_a"], trainer.batch(2)["real_b"]
    assert real_a.shape == real_b.shape == (4, 3, 16, 16) and real_a.dtype == torch.float32
    assert real_a.min() >= -1 and real_a.max() <= 1
    assert not torch.equal(trainer.batch(3)["real_a"], real_a)
    # The two domains are shuffled independently: the pairs are broken.
    same = [torch.equal(trainer.sampler_a.indices(s), trainer.sampler_b.indices(s)) for s in range(10)]
    assert not all(same)


def test_train_step_reports_every_loss_and_trains_all_four_networks():
    domains = tiny_domains()
    trainer = CycleGANTrainer(tiny_config(), domains, "cpu")
    before = {name: {k: v.clone() for k, v in m.state_dict().items()} for name, m in trainer.modules.items()}
    history = fit(trainer, 6, progress=False)
    assert tuple(history.losses) == LOSS_NAMES
    assert all(math.isfinite(v) and v >= 0 for values in history.losses.values() for v in values)
    assert all(v > 0 for v in history.losses["idt_a"])
    for name, module in trainer.modules.items():
        assert not state_equal(before[name], module.state_dict()), name
    assert len(trainer.pool_a) == len(trainer.pool_b) == 3
    # The schedule ran: 6 of 6 steps done, 3 of them decaying, so the rate is now 0.
    assert [opt.param_groups[0]["lr"] for opt in trainer.optimizers.values()] == [0.0, 0.0]


def test_identity_weight_zero_skips_the_identity_term():
    trainer = CycleGANTrainer(tiny_config(lambda_identity=0.0), tiny_domains(), "cpu")
    losses = trainer.train_step(0)
    assert losses["idt_a"] == losses["idt_b"] == 0.0 and losses["cycle_a"] > 0


def test_cyclegan_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    config = tiny_config()  # pool of 3, batches of 2: the pools are full and swapping after step 2
    domains = tiny_domains()
    full, full_history = train_cyclegan(config, domains, progress=False, device="cpu")

    first = CycleGANTrainer(config, domains, "cpu")
    fit(first, 3, out_dir=tmp_path, progress=False)
    resumed = CycleGANTrainer(config, domains, "cpu")
    resumed_history = fit(resumed, 6, out_dir=tmp_path, resume=True, progress=False)

    for name in full.modules:
        assert state_equal(resumed.modules[name].state_dict(), full.modules[name].state_dict()), name
    assert resumed_history.losses == full_history.losses and resumed_history.steps == list(range(6))
    assert all(torch.equal(x, y) for x, y in zip(resumed.pool_b.images, full.pool_b.images, strict=True))
    assert resumed.schedulers["G"].get_last_lr() == full.schedulers["G"].get_last_lr()


def test_cyclegan_resume_without_the_pools_is_not_exact(tmp_path, monkeypatch):
    """The resume test can fail: without the pools in the checkpoint D sees other fakes."""
    config, domains = tiny_config(), tiny_domains()
    full, _ = train_cyclegan(config, domains, progress=False, device="cpu")
    fit(CycleGANTrainer(config, domains, "cpu"), 3, out_dir=tmp_path, progress=False)
    monkeypatch.setattr(CycleGANTrainer, "load_extra_state", lambda self, state: None)
    resumed = CycleGANTrainer(config, domains, "cpu")
    fit(resumed, 6, out_dir=tmp_path, resume=True, progress=False)
    assert not state_equal(resumed.D_B.state_dict(), full.D_B.state_dict())


def test_cyclegan_resume_refuses_other_data(tmp_path):
    config = tiny_config()
    fit(CycleGANTrainer(config, tiny_domains(), "cpu"), 1, out_dir=tmp_path, progress=False)
    with pytest.raises(CheckpointError, match="data.b.sha"):
        train_cyclegan(config, tiny_domains(paired=False), out_dir=tmp_path, resume=True, progress=False,
                       device="cpu")
