"""Super-resolution colorization trained as pix2pix (gancolor.train.superres), and the perceptual
loss as an option of the colorization trainer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from gancolor.train import ColorizationTrainer, ColorizeConfig, fit
from gancolor.train.superres import SuperResConfig, SuperResTrainer, export_superres, shrink_lightness


def _images(n: int = 4, size: int = 32) -> torch.Tensor:
    gen = torch.Generator().manual_seed(0)
    return torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=gen)


def _config(**kw) -> SuperResConfig:
    return SuperResConfig(**{**dict(image_size=32, batch_size=2, width=8, depth=2, max_width=16, features=8,
                                    d_width=8), **kw})


def test_batch_has_a_small_input_and_large_targets():
    trainer = SuperResTrainer(_config(scale=4), _images())
    batch = trainer.batch(0)
    assert batch["x"].shape == (2, 1, 8, 8) and batch["L"].shape == (2, 1, 32, 32)
    assert torch.allclose(batch["x"], shrink_lightness(batch["L"], 4))
    fakes = trainer.generate(trainer, batch)
    assert fakes["L"].shape == (2, 1, 32, 32) and fakes["ab"].shape == (2, 2, 32, 32)


@pytest.mark.parametrize("gan", [False, True])
def test_the_pix2pix_step_trains_it_and_the_file_loads(tmp_path: Path, gan: bool):
    from gancolor.infer.upscaler import load_superres

    trainer = SuperResTrainer(_config(l1_only=not gan, perceptual=0.5 if gan else 0.0), _images())
    history = fit(trainer, 2, progress=False)
    assert set(history.losses) >= ({"g_l1", "g_gan", "d", "g_perc"} if gan else {"g_l1"})
    model = load_superres(export_superres(trainer, tmp_path / "superres.pt"))
    assert model.scale == 2 and model.meta["steps"] == 2
    out = model.upscale_image(_images(1, 20)[0].permute(1, 2, 0).numpy(), 4)
    assert out.shape == (80, 80, 3)


def test_settings_it_cannot_train_are_refused():
    with pytest.raises(ValueError, match="multiple of scale"):
        SuperResTrainer(_config(image_size=20), _images())
    with pytest.raises(ValueError, match="neither hints"):
        SuperResTrainer(_config(hints=True), _images())


def test_perceptual_option_of_the_colorizer_trainer():
    config = ColorizeConfig(image_size=32, batch_size=2, width=8, depth=2, max_width=16, l1_only=True,
                            perceptual=1.0)
    trainer = ColorizationTrainer(config, _images())
    assert trainer.features is not None and not trainer.features.training
    history = fit(trainer, 2, progress=False)
    assert history.losses["g_perc"][0] > 0
    assert "perceptual" in config.to_dict() and "perceptual" not in ColorizeConfig().to_dict()
    with pytest.raises(ValueError, match="perceptual"):
        ColorizationTrainer(ColorizeConfig(image_size=32, perceptual=-1.0), _images())
