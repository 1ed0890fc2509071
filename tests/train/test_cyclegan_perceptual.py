"""CycleGAN's optional feature-level cycle term (``CycleGANConfig.perceptual``, ``--perceptual``)."""

from __future__ import annotations

import math

import pytest
import torch
from PIL import Image
from test_cyclegan import state_equal, tiny_config, tiny_domains

from gancolor.cli import main
from gancolor.infer.stylizer import load_stylizer
from gancolor.losses.perceptual import perceptual_loss
from gancolor.train import fit
from gancolor.train.cyclegan import (
    LOSS_NAMES,
    PERCEPTUAL_NAMES,
    CycleGANConfig,
    CycleGANTrainer,
    export_stylizer,
)


def test_the_term_is_there_only_when_its_weight_is_set():
    off = CycleGANTrainer(tiny_config(), tiny_domains(), "cpu")
    assert off.features is None and set(off.train_step(0)) == set(LOSS_NAMES)
    on = CycleGANTrainer(tiny_config(perceptual=2.0), tiny_domains(), "cpu")
    losses = on.train_step(0)
    assert set(losses) == set(LOSS_NAMES) | set(PERCEPTUAL_NAMES)
    assert all(math.isfinite(losses[name]) and losses[name] > 0 for name in PERCEPTUAL_NAMES)


def test_the_term_is_the_feature_loss_of_the_cycle_reconstruction_and_adds_w_times_it():
    config = tiny_config(perceptual=3.0)
    on, off = (CycleGANTrainer(c, tiny_domains(), "cpu") for c in (config, tiny_config()))
    batch = on.batch(0)
    loss_on, terms = on.g_losses(on, batch, on.generate(on, batch))
    loss_off, _ = off.g_losses(off, batch, off.generate(off, batch))  # same seed: the same networks
    rec_a = on.G_BA(on.G_AB(batch["real_a"]))  # F(G(a))
    assert torch.allclose(terms["perc_a"], perceptual_loss(on.features, rec_a, batch["real_a"]))
    assert torch.allclose(loss_on - loss_off, 3.0 * (terms["perc_a"] + terms["perc_b"]), atol=1e-5)


def test_gradients_of_the_term_reach_both_generators_not_the_feature_net():
    trainer = CycleGANTrainer(tiny_config(perceptual=1.0), tiny_domains(), "cpu")
    batch = trainer.batch(0)
    _, terms = trainer.g_losses(trainer, batch, trainer.generate(trainer, batch))
    (terms["perc_a"] + terms["perc_b"]).backward()
    for generator in (trainer.G_AB, trainer.G_BA):
        assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in generator.parameters())
    assert all(p.grad is None for p in trainer.features.parameters())


def test_config_validation_and_serialisation():
    with pytest.raises(ValueError, match="perceptual"):
        CycleGANTrainer(tiny_config(perceptual=-1.0), tiny_domains(), "cpu")
    assert "perceptual" not in CycleGANConfig().to_dict()  # 0 = off: old runs' configs unchanged
    config = tiny_config(perceptual=0.5)
    assert config.to_dict()["perceptual"] == 0.5 and CycleGANConfig.from_dict(config.to_dict()) == config


def test_checkpoint_resume_and_stylizer_file_round_trip(tmp_path):
    config, domains = tiny_config(perceptual=1.0, steps=4), tiny_domains()
    full = CycleGANTrainer(config, domains, "cpu")
    fit(full, 4, progress=False)
    fit(CycleGANTrainer(config, domains, "cpu"), 2, out_dir=tmp_path, progress=False)
    resumed = CycleGANTrainer(config, domains, "cpu")
    fit(resumed, 4, out_dir=tmp_path, resume=True, progress=False)
    for name in full.modules:
        assert state_equal(resumed.modules[name].state_dict(), full.modules[name].state_dict()), name
    path = export_stylizer(resumed, tmp_path / "stylizer.pt", inference_size=16)
    assert load_stylizer(path).meta["train_config"]["perceptual"] == 1.0


def test_cli_options_reach_the_config(tmp_path, capsys):  # --perceptual, and --residual beside it
    data, run = tmp_path / "a2b", tmp_path / "run"
    for index, folder in enumerate(("trainA", "trainB", "testA", "testB")):
        (data / folder).mkdir(parents=True)
        image = tiny_domains(n=1, size=32).a[0].permute(1, 2, 0).numpy()
        Image.fromarray(image if index % 2 == 0 else 255 - image).save(data / folder / "x.png")
    assert main(["train", "cyclegan", "--data", str(data), "--out", str(run), "--image-size", "32",
                 "--width", "4", "--blocks", "1", "--steps", "1", "--checkpoint-every", "1",
                 "--perceptual", "0.25", "--residual", "--d-norm", "none", "--cycle-a-downsample", "2",
                 "--d-layers", "2"]) == 0
    assert "perc_a" in (run / "history.json").read_text()
    stylizer = load_stylizer(run / "stylizer.pt")
    assert stylizer.meta["train_config"]["perceptual"] == 0.25 and stylizer.meta["train_config"]["residual"]
    assert all(generator.residual for generator in stylizer.generators.values())
    assert stylizer.meta["train_config"]["d_norm"] == "none"
    assert stylizer.meta["train_config"]["cycle_a_downsample"] == 2
    assert stylizer.meta["train_config"]["d_layers"] == 2
    capsys.readouterr()
    with pytest.raises(SystemExit):  # argparse: a weight is >= 0
        main(["train", "cyclegan", "--out", str(tmp_path / "bad"), "--perceptual", "-1"])
    assert "--perceptual" in capsys.readouterr().err
