"""gancolor.train.unconditional: the DCGAN task (every objective, gradient penalty, n_critic), its step
against notebook 02's hand-written one, determinism, sampling, exact resume through ``fit``."""

from __future__ import annotations

import copy

import pytest
import torch
import torch.nn.functional as F

from gancolor import losses
from gancolor.errors import DataError
from gancolor.losses import GAN_LOSSES
from gancolor.train.unconditional import DCGANConfig, DCGANTrainer, prepare_images, train_dcgan


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tiny models run fastest on one thread; two threads on a busy machine spin-wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def tiny(**overrides) -> DCGANConfig:
    return DCGANConfig(**{"width": 4, "batch_size": 4, "z_dim": 8, **overrides})


@pytest.fixture(scope="module")
def images() -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (12, 3, 32, 32), generator=generator, dtype=torch.uint8)


def state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 0.0) -> bool:
    return a.keys() == b.keys() and all(torch.allclose(a[k].float(), b[k].float(), atol=atol, rtol=0)
                                        for k in a)


# ---------------------------------------------------------------------------------------------


def test_config_round_trip_and_unknown_keys():
    config = tiny(loss="hinge")
    assert DCGANConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="unknown DCGANConfig setting"):
        DCGANConfig.from_dict({"widht": 3})


def test_prepare_images_scales_to_tanh_range_and_area_resizes():
    x = torch.randint(0, 256, (2, 3, 64, 64), dtype=torch.uint8)
    out = prepare_images(x, 32)
    assert out.shape == (2, 3, 32, 32) and out.dtype == torch.float32
    assert torch.allclose(out, F.avg_pool2d(x.float(), 2) / 127.5 - 1, atol=1e-5)  # mean of each 2x2 block
    same = prepare_images(x[:, :, :32, :32], 32)
    assert same.min() >= -1 and same.max() <= 1
    black_white = torch.tensor([0, 255], dtype=torch.uint8).view(2, 1, 1, 1).expand(2, 3, 32, 32)
    assert prepare_images(black_white, 32).unique().tolist() == [-1.0, 1.0]
    with pytest.raises(DataError, match="uint8"):
        prepare_images(x.float(), 32)


def test_invalid_settings_are_refused(images):
    with pytest.raises(ValueError, match="unknown loss"):
        DCGANTrainer(tiny(loss="wasserstein"), images, device="cpu")
    with pytest.raises(ValueError, match="batch norm"):
        DCGANTrainer(tiny(loss="wgan", gp_weight=10.0), images, device="cpu")  # d_norm="batch"
    with pytest.raises(ValueError, match="image_size"):
        DCGANTrainer(tiny(image_size=48), images, device="cpu")
    with pytest.raises(ValueError, match="n_critic"):
        DCGANTrainer(tiny(n_critic=0), images, device="cpu")


@pytest.mark.parametrize("loss", GAN_LOSSES)
def test_every_objective_trains_both_networks(loss, images):
    trainer = DCGANTrainer(tiny(loss=loss), images, device="cpu")
    g0, d0 = state(trainer.G), state(trainer.D)
    out = trainer.train_step(0)
    assert set(out) == {"d", "g"}
    assert all(torch.isfinite(torch.tensor(v)) for v in out.values())
    assert not same_state(state(trainer.G), g0) and not same_state(state(trainer.D), d0)


def test_gradient_penalty_run_reports_the_penalty(images):
    trainer = DCGANTrainer(tiny(loss="wgan", gp_weight=10.0, d_norm="none"), images, device="cpu")
    out = trainer.train_step(0)
    assert set(out) == {"d", "g", "gp"}
    assert out["gp"] > 0.5  # an untrained critic has tiny gradients: (0 - 1)² ≈ 1


def test_a_step_is_the_notebooks_train_step(images):
    """One non-saturating step equals notebook 02's train_step on the same batch and noise."""
    trainer = DCGANTrainer(tiny(), images, device="cpu")
    G, D = copy.deepcopy(trainer.G), copy.deepcopy(trainer.D)  # noqa: N806
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real, z = trainer.real_batch(0), trainer.noise(0, 0)

    fake = G(z)  # notebook 02, section 4
    loss_d = losses.discriminator_loss(D(real), D(fake.detach()), kind="nonsaturating")
    opt_d.zero_grad()
    loss_d.backward()
    opt_d.step()
    loss_g = losses.generator_loss(D(fake), kind="nonsaturating")
    opt_g.zero_grad()
    loss_g.backward()
    opt_g.step()

    out = trainer.train_step(0)
    assert out["d"] == pytest.approx(loss_d.item(), abs=1e-6)
    assert out["g"] == pytest.approx(loss_g.item(), abs=1e-6)
    assert same_state(state(trainer.G), state(G), atol=1e-6)
    assert same_state(state(trainer.D), state(D), atol=1e-6)


def test_n_critic_takes_several_d_steps_per_g_step(images):
    trainer = DCGANTrainer(tiny(loss="wgan", gp_weight=10.0, d_norm="none", n_critic=3), images, device="cpu")
    trainer.train_step(0)

    def adam_steps(optimizer: torch.optim.Optimizer) -> int:
        return int(next(iter(optimizer.state.values()))["step"])

    assert adam_steps(trainer.optimizers["D"]) == 3
    assert adam_steps(trainer.optimizers["G"]) == 1


def test_same_seed_same_run_other_seed_other_run(images):
    def run(seed: int) -> tuple[list[dict[str, float]], dict[str, torch.Tensor]]:
        trainer = DCGANTrainer(tiny(seed=seed), images, device="cpu")
        return [trainer.train_step(s) for s in range(3)], state(trainer.G)

    a, b, c = run(0), run(0), run(1)
    assert a[0] == b[0] and same_state(a[1], b[1])
    assert a[0] != c[0]


def test_sample_is_eval_mode_from_fixed_noise_and_restores_the_mode(images):
    trainer = DCGANTrainer(tiny(), images, device="cpu")
    first = trainer.sample()
    assert first.shape == (16, 3, 32, 32) and first.min() >= 0 and first.max() <= 1
    assert trainer.G.training
    assert torch.equal(trainer.sample(), first)  # eval mode: no batch statistics, no state change
    assert torch.equal(trainer.sample(trainer.fixed_z[:4]), first[:4])  # each image depends on its own z only
    assert trainer.sample(torch.randn(2, 8)).shape == (2, 3, 32, 32)


def test_gray_images_and_64px(images):
    gray = images[:, :1]
    trainer = DCGANTrainer(tiny(), gray, device="cpu")
    trainer.train_step(0)
    assert trainer.sample().shape == (16, 1, 32, 32)
    big = torch.randint(0, 256, (8, 3, 64, 64), dtype=torch.uint8)
    trainer = DCGANTrainer(tiny(image_size=64), big, device="cpu")
    trainer.train_step(0)
    assert trainer.sample().shape == (16, 3, 64, 64)


def test_train_dcgan_resumes_exactly(images, tmp_path):
    config = tiny(loss="hinge")
    straight, history = train_dcgan(config, images, steps=4, progress=False, device="cpu")
    assert len(history) == 4 and set(history.losses) == {"d", "g"}

    train_dcgan(config, images, steps=2, out_dir=tmp_path, checkpoint_every=2, progress=False, device="cpu")
    resumed, resumed_history = train_dcgan(config, images, steps=4, out_dir=tmp_path, resume=True,
                                           progress=False, device="cpu")
    assert resumed_history.losses == history.losses
    assert same_state(state(resumed.G), state(straight.G))
    assert same_state(state(resumed.D), state(straight.D))
