"""Stylizer files (export, load, bad files), full-resolution translation of any photo size, evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import expect_one_line_errors
from torch import nn

from gancolor.data import UnpairedDomains
from gancolor.errors import CheckpointError, DataError
from gancolor.evaluation.stylizer_eval import evaluate_stylizer
from gancolor.infer.stylizer import Stylizer, default_stylizer, load_stylizer
from gancolor.train import History, save_training_checkpoint
from gancolor.train.cyclegan import CycleGANConfig, CycleGANTrainer, export_stylizer, train_cyclegan


def random_images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    smooth = nn.functional.interpolate(small, size=(size, size), mode="bilinear")
    return (smooth * 255).round().to(torch.uint8)


def tiny_domains() -> UnpairedDomains:
    a = random_images(4, 16, seed=1)
    return UnpairedDomains(a, 255 - a, paired=True, names=("summer", "winter"), source="test")


def tiny_config(**overrides) -> CycleGANConfig:
    settings = dict(image_size=16, batch_size=2, width=4, n_blocks=1, d_width=4, d_layers=2, pool_size=2,
                    steps=2)
    return CycleGANConfig(**(settings | overrides))


class Shift(nn.Module):
    """A stand-in generator: G(x) = x + shift (in [-1, 1] units), clamped; needs H, W multiples of 4."""

    size_multiple, min_size = 4, 8

    def __init__(self, shift: float) -> None:
        super().__init__()
        self.shift = nn.Parameter(torch.tensor(shift), requires_grad=False)
        self.calls: list[tuple[int, int]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        assert x.shape[-2] % 4 == 0 and x.shape[-1] % 4 == 0 and min(x.shape[-2:]) >= 8, x.shape
        self.calls.append(tuple(x.shape[-2:]))
        return (x + self.shift).clamp(-1, 1)


def shift_stylizer(shift_ab: float, shift_ba: float = 0.0, inference_size: int = 32) -> Stylizer:
    return Stylizer({"AtoB": Shift(shift_ab), "BtoA": Shift(shift_ba)}, ("summer", "winter"), inference_size)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    trainer, _ = train_cyclegan(tiny_config(), tiny_domains(), progress=False, device="cpu")
    return trainer, tmp_path_factory.mktemp("stylizer")


# ------------------------------------------------------------------------------------ files


@pytest.mark.parametrize("half", [False, True])
def test_exported_stylizer_rebuilds_both_generators(trained, half):
    trainer, folder = trained
    path = export_stylizer(trainer, folder / f"stylizer-{half}.pt", half=half, inference_size=48)
    blob = torch.load(path, weights_only=True)
    assert blob["format"] == "gancolor.stylizer" and blob["steps"] == 2 and blob["inference_size"] == 48
    assert blob["domains"] == ["summer", "winter"]
    assert CycleGANConfig.from_dict(blob["train_config"]) == trainer.config
    dtypes = {v.dtype for spec in blob["generators"].values() for v in spec["state_dict"].values()}
    assert dtypes == ({torch.float16} if half else {torch.float32})

    stylizer = load_stylizer(path)
    assert stylizer.inference_size == 48 and stylizer.domains == ("summer", "winter")
    x = torch.rand(2, 3, 16, 16) * 2 - 1
    for direction, generator in (("AtoB", trainer.G_AB), ("BtoA", trainer.G_BA)):
        loaded = stylizer.generators[direction]
        assert not loaded.training and loaded.config == generator.config
        generator.eval()
        with torch.no_grad():
            expected, got = generator(x), loaded(x)
        generator.train()
        assert (expected - got).abs().max() < (5e-3 if half else 1e-7)
    assert not torch.equal(stylizer.generators["AtoB"](x), stylizer.generators["BtoA"](x))


def test_default_stylizer_export_is_under_10_mb(tmp_path):
    domains = UnpairedDomains(random_images(2, 64), random_images(2, 64))
    trainer = CycleGANTrainer(CycleGANConfig(), domains, "cpu")
    path = export_stylizer(trainer, tmp_path / "stylizer.pt")
    assert 7 * 1024**2 < path.stat().st_size < 10 * 1024**2
    assert [p.name for p in tmp_path.iterdir()] == ["stylizer.pt"]  # atomic: no temporary file left


def test_bad_stylizer_files_are_one_line_checkpoint_errors(tmp_path, trained):
    trainer, _ = trained
    good = export_stylizer(trainer, tmp_path / "good.pt", half=False)
    blob = torch.load(good, weights_only=True)
    wrong_weights = {**blob, "generators": {**blob["generators"], "BtoA": {
        **blob["generators"]["BtoA"], "config": {**blob["generators"]["BtoA"]["config"], "width": 8}}}}
    training = tmp_path / "checkpoint.pt"
    save_training_checkpoint(training, trainer, 2, History())
    cases = {
        "missing.pt": (None, "no such stylizer file"),
        "garbage.pt": (b"not a checkpoint", "not a readable checkpoint"),
        "truncated.pt": (good.read_bytes()[:1000], "not a readable checkpoint"),
        "colorizer.pt": ({"format": "gancolor.colorizer"}, "a colorizer: use it with `gancolor colorize`"),
        "tensor.pt": (torch.zeros(2), "not a gancolor stylizer file (format: Tensor)"),
        "nogen.pt": ({"format": "gancolor.stylizer"}, "no usable AtoB generator"),
        "shape.pt": (wrong_weights, "BtoA weights do not fit the architecture"),
    }
    expect_one_line_errors(tmp_path, cases, load_stylizer)
    with pytest.raises(CheckpointError, match=r"a training checkpoint\? use the stylizer exported next to"):
        load_stylizer(training)


def test_the_default_stylizer_path_is_named_when_missing():
    if default_stylizer().exists():
        pytest.skip("the summer <-> winter stylizer is shipped")
    with pytest.raises(CheckpointError, match="stylizer_summer2winter.pt: no such stylizer file"):
        load_stylizer()


# ------------------------------------------------------------------------------------ translation


@pytest.mark.parametrize("shape", [(123, 77), (1, 50), (77, 1), (5, 3), (300, 20)])
def test_photos_of_any_size_keep_their_shape(trained, shape):
    trainer, folder = trained
    stylizer = load_stylizer(export_stylizer(trainer, folder / "any-size.pt", inference_size=64))
    rgb = np.random.default_rng(0).integers(0, 256, (*shape, 3), dtype=np.uint8)
    for direction in ("AtoB", "winter2summer"):
        out = stylizer.stylize_image(rgb, direction)
        assert out.shape == rgb.shape and out.dtype == np.uint8


def test_large_photos_get_the_low_resolution_change_on_full_resolution_detail():
    stylizer = shift_stylizer(shift_ab=20 / 127.5, inference_size=32)  # G brightens by 20 levels
    rng = np.random.default_rng(0)
    rgb = rng.integers(30, 220, (123, 77, 3), dtype=np.uint8)  # pure noise: all fine detail
    out = stylizer.stylize_image(rgb, "AtoB")
    assert stylizer.generators["AtoB"].calls == [(32, 20)]  # 123 x 77 -> 32 x 20 (reflect-padded to 4s)
    # The change is brought back exactly, and every pixel of the noise survives (translating small
    # and upsampling the result would have blurred it away).
    assert np.abs(out.astype(int) - rgb.astype(int) - 20).max() <= 1
    assert stylizer.working_size(123, 77) == (32, 20) and stylizer.working_size(20, 10) == (20, 10)


def test_small_images_are_translated_directly_and_identity_returns_the_input():
    stylizer = shift_stylizer(shift_ab=0.0, shift_ba=-2.0, inference_size=64)
    images = random_images(3, 30)  # 30 is not a multiple of 4: padded to 32 and cropped back
    assert torch.equal(stylizer.stylize_tensor(images, "summer2winter"), images)
    assert stylizer.generators["AtoB"].calls == [(32, 32)]
    assert stylizer.stylize_tensor(images, "BtoA").max() == 0  # G(x) = -1 everywhere: black
    big = shift_stylizer(shift_ab=0.0, inference_size=16)
    rgb = np.random.default_rng(1).integers(0, 256, (64, 40, 3), dtype=np.uint8)
    assert np.array_equal(big.stylize_image(rgb), rgb)  # delta = 0: the photo comes back untouched
    with pytest.raises(ValueError, match="direction must be one of 'AtoB', 'BtoA', 'summer2winter'"):
        stylizer.stylize_tensor(images, "winter2autumn")
    with pytest.raises(ValueError, match="uint8"):
        stylizer.stylize_tensor(images.float())


# ------------------------------------------------------------------------------------ evaluation


def test_evaluation_scores_the_translation_against_the_true_other_season():
    a = random_images(6, 16, seed=3) // 2  # in [0, 128)
    domains = UnpairedDomains(a, a + 20, paired=True, names=("summer", "winter"))  # winter: 20 brighter
    good, bad = shift_stylizer(20 / 127.5, -20 / 127.5), shift_stylizer(-20 / 127.5, 20 / 127.5)
    results = evaluate_stylizer(good, domains, "AtoB")
    assert set(results) == {"stylizer", "identity"} and set(results["identity"]) == {"psnr", "ssim"}
    expected_identity = 10 * np.log10(255**2 / 20**2)  # every pixel 20 levels off: 22.1 dB
    assert results["identity"]["psnr"] == pytest.approx(expected_identity, abs=0.01)
    assert results["stylizer"]["psnr"] > results["identity"]["psnr"] + 20
    assert results["stylizer"]["ssim"] > results["identity"]["ssim"]
    backwards = evaluate_stylizer(good, domains, "winter2summer")  # B -> A: darker by 20, as it should
    assert backwards["stylizer"]["psnr"] > backwards["identity"]["psnr"] + 20
    worse = evaluate_stylizer(bad, domains, "AtoB")
    assert worse["stylizer"]["psnr"] < worse["identity"]["psnr"]
    from gancolor.evaluation.scores import format_table

    table = format_table(results)
    assert "stylizer" in table and "identity" in table and "PSNR dB" in table


def test_evaluation_needs_paired_domains_or_fid():
    unpaired = UnpairedDomains(random_images(2, 16), random_images(3, 16), source="my photos")
    with pytest.raises(DataError, match="my photos: unpaired"):
        evaluate_stylizer(shift_stylizer(0.0), unpaired)
