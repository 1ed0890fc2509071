"""The hint colorizer (Zhang et al. 2017): hint maps and the sampler (gancolor.data.hint_maps), user
hints and JSON files (gancolor.infer.user_hints), training, export/load, inference and evaluation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from gancolor.color import AB_SCALE, lab_to_rgb, parse_color, rgb_to_lab
from gancolor.data.hint_maps import generator_input, sample_hints
from gancolor.errors import CheckpointError, UserError
from gancolor.evaluation.colorizer_eval import (
    colorize_images,
    evaluate_colorizers,
    evaluate_with_hints,
    simulated_hints,
)
from gancolor.infer.colorizer import Colorizer, default_checkpoint, load_colorizer
from gancolor.infer.user_hints import DEFAULT_HINT_SIZE, Hint, hints_to_maps, load_hints_json
from gancolor.train import ColorizationTrainer, ColorizeConfig, export_colorizer, fit, train_colorizer


def tiny_config(**overrides) -> ColorizeConfig:
    settings = dict(image_size=16, batch_size=4, width=4, max_width=16, depth=3, d_width=4, d_layers=2,
                    dropout=0.5, seed=0, hints=True, hint_max_size=3)
    return ColorizeConfig(**(settings | overrides))


def random_images(n: int, size: int, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    small = torch.rand(n, 3, 4, 4, generator=g)
    big = nn.functional.interpolate(small, size=(size, size), mode="bilinear")
    return (big * 255).round().to(torch.uint8)


def random_ab(n: int, size: int, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 2, size, size, generator=torch.Generator().manual_seed(seed)) * 2 - 1


def state_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


# ---------------------------------------------------------------------------------------------
# The sampler


def test_sampler_counts_are_geometric_within_bounds_with_a_zero_hint_share():
    # 1-px hints on a large image rarely overlap: the mask size is (almost) the hint count.
    _, mask = sample_hints(random_ab(3000, 32), torch.Generator().manual_seed(0), max_hints=12,
                           min_size=1, max_size=1, p_none=0.25)
    counts = mask.sum(dim=(1, 2, 3))
    assert counts.max() <= 12 and counts.min() == 0
    assert abs((counts == 0).float().mean().item() - 0.25) < 0.03  # P(k = 0) = p_none
    expected_mean = sum(min(k, 12) * 0.25 * 0.75**k for k in range(200))  # the cut geometric
    assert abs(counts.mean().item() - expected_mean) < 0.2
    assert (counts == 12).any()  # the cut is reached


def test_each_hint_patch_holds_the_ground_truth_mean_and_the_mask_marks_it():
    ab = random_ab(50, 20)
    hint_ab, mask = sample_hints(ab, torch.Generator().manual_seed(1), min_size=4, max_size=4, num_hints=1)
    assert set(mask.unique().tolist()) == {1.0} | ({0.0} if (mask == 0).any() else set())
    assert torch.equal(hint_ab * (1 - mask), torch.zeros_like(hint_ab))  # nothing outside hints
    for i in range(len(ab)):
        rows, cols = mask[i, 0].nonzero(as_tuple=True)
        assert len(rows) == 16 and rows.max() - rows.min() == 3 and cols.max() - cols.min() == 3
        patch = (slice(None), slice(rows.min(), rows.max() + 1), slice(cols.min(), cols.max() + 1))
        expected = ab[i][patch].mean(dim=(1, 2))
        assert torch.allclose(hint_ab[i][patch], expected[:, None, None].expand(2, 4, 4), atol=1e-6)


def test_sampler_is_deterministic_and_zero_hints_give_empty_maps():
    ab = random_ab(8, 16)
    a = sample_hints(ab, torch.Generator().manual_seed(3))
    b = sample_hints(ab, torch.Generator().manual_seed(3))
    c = sample_hints(ab, torch.Generator().manual_seed(4))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])
    hint_ab, mask = sample_hints(ab, torch.Generator(), num_hints=0)
    assert not hint_ab.any() and not mask.any() and mask.shape == (8, 1, 16, 16)
    with pytest.raises(ValueError, match="max_size"):
        sample_hints(ab, torch.Generator(), max_size=17)


def test_generator_input_concatenates_l_hints_and_mask():
    L = torch.rand(2, 1, 8, 8)  # noqa: N806
    x = generator_input(L)
    assert x.shape == (2, 4, 8, 8) and torch.equal(x[:, :1], L) and not x[:, 1:].any()
    hint_ab, mask = torch.rand(2, 2, 8, 8), torch.ones(2, 1, 8, 8)
    assert torch.equal(generator_input(L, hint_ab, mask), torch.cat([L, hint_ab, mask], 1))


# ---------------------------------------------------------------------------------------------
# User hints


def test_hints_map_to_the_working_pixel_that_contains_them():
    red = Hint.from_rgb(10, 20, "#ff0000")
    hint_ab, mask = hints_to_maps([red], 40, 40)  # same frame: default 3x3 square centred on (20, 10)
    rows, cols = mask[0, 0].nonzero(as_tuple=True)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (19, 21, 9, 11)
    assert DEFAULT_HINT_SIZE == 3
    assert torch.allclose(hint_ab[0, :, 20, 10], torch.tensor(red.ab, dtype=torch.float32) / AB_SCALE)
    # A 640x480 photo seen at 128x96: coordinates and sizes scale by 0.2.
    corner = Hint.from_rgb(639, 479, [0, 0, 255], size=10)
    centre = Hint.from_rgb(320.4, 240, [0, 255, 0], size=1)
    _, mask = hints_to_maps([corner, centre], 96, 128, source_size=(480, 640))
    rows, cols = mask[0, 0].nonzero(as_tuple=True)
    assert mask[0, 0, 95, 127] == 1 and mask[0, 0, 94, 126] == 1 and mask[0, 0, 93, 125] == 0  # 2x2, clipped
    assert mask[0, 0, 48, 64] == 1 and mask.sum() == 4 + 1
    outside = Hint(640, 0, (0, 0), origin="notes.json, hint 2")
    with pytest.raises(UserError, match=r"notes.json, hint 2: hint at \(x=640, y=0\) lies outside the 640"):
        hints_to_maps([corner, outside], 96, 128, source_size=(480, 640))


def test_later_hints_cover_earlier_ones():
    first, second = Hint(5, 5, (50.0, 0.0), size=5), Hint(7, 5, (-50.0, 0.0), size=5)
    hint_ab, mask = hints_to_maps([first, second], 12, 12)
    assert hint_ab[0, 0, 5, 4] * AB_SCALE == pytest.approx(50.0)
    assert hint_ab[0, 0, 5, 6] * AB_SCALE == pytest.approx(-50.0)
    assert mask.sum() == 5 * 7


@pytest.mark.parametrize("rgb", [(255, 0, 0), (20, 140, 60), (90, 90, 200), (128, 128, 128)])
def test_a_hint_keeps_the_colours_chrominance(rgb):
    hint = Hint.from_rgb(0, 0, rgb)
    L = rgb_to_lab(torch.tensor(rgb, dtype=torch.float64).view(3, 1, 1) / 255)[0]  # noqa: N806
    back = lab_to_rgb(torch.stack([L, torch.full_like(L, hint.ab[0]), torch.full_like(L, hint.ab[1])]))
    assert torch.allclose(back.flatten() * 255, torch.tensor(rgb, dtype=torch.float64), atol=0.01)
    assert parse_color("#f00") == (255, 0, 0) == parse_color("FF0000") == parse_color([255, 0, 0.2])
    for bad in ("red", "#12345", [1, 2], [0, 0, 256], [True, 0, 0], 7):
        with pytest.raises(ValueError, match="bad color"):
            parse_color(bad)


def test_hint_json_files_load(tmp_path):
    path = tmp_path / "hints.json"
    path.write_text(json.dumps([{"x": 120, "y": 80, "color": "#ff0000"},
                                {"x": 30.5, "y": 200, "color": [40, 90, 200], "size": 12}]))
    hints = load_hints_json(path)
    assert len(hints) == 2 and hints[0] == Hint.from_rgb(120, 80, (255, 0, 0))
    assert hints[1].size == 12.0 and hints[1].x == 30.5 and hints[1].origin == f"{path}, hint 2"
    (tmp_path / "empty.json").write_text("[]")
    assert load_hints_json(tmp_path / "empty.json") == []


@pytest.mark.parametrize("content, message", [
    ("[{\"x\": 1, \"y\": 2, \"color\": \"#ff0000\",}]", "not valid JSON"),
    ("{\"x\": 1}", "must hold a JSON list"),
    ("[3]", "hint 1 is not an object"),
    ("[{\"x\": 1, \"color\": \"#ff0000\"}]", "hint 1 has no 'y'"),
    ("[{\"x\": 1, \"y\": 2, \"color\": \"#ff0000\"}, {\"x\": 1, \"y\": 2}]", "hint 2 has no 'color'"),
    ("[{\"x\": 1, \"y\": 2, \"colour\": \"#ff0000\", \"color\": \"#fff\"}]", "unknown field.*'colour'"),
    ("[{\"x\": \"1\", \"y\": 2, \"color\": \"#ff0000\"}]", "x must be a number"),
    ("[{\"x\": 1, \"y\": 2, \"color\": \"#ff0000\", \"size\": 0}]", "size must be positive"),
    ("[{\"x\": 1, \"y\": 2, \"color\": \"crimson\"}]", "hint 1: bad color 'crimson'"),
    ("[{\"x\": 1, \"y\": 2, \"color\": [0, 300, 0]}]", "bad color"),
])
def test_bad_hint_files_raise_one_line_errors_naming_the_file(tmp_path, content, message):
    path = tmp_path / "my hints.json"
    path.write_text(content)
    with pytest.raises(UserError, match=message) as info:
        load_hints_json(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_missing_hint_file_is_named(tmp_path):
    with pytest.raises(UserError, match="nope.json: no such hint file"):
        load_hints_json(tmp_path / "nope.json")


# ---------------------------------------------------------------------------------------------
# Training


def test_hint_trainer_feeds_g_four_channels_and_d_three():
    trainer = ColorizationTrainer(tiny_config(), random_images(6, 20), device="cpu")
    assert trainer.G.in_channels == 4 and trainer.D.config["in_channels"] == 3
    batch = trainer.batch(2)
    L, ab, x = batch["L"], batch["ab"], batch["x"]  # noqa: N806
    assert x.shape == (4, 4, 16, 16) and torch.equal(x[:, :1], L)
    assert torch.equal(x, trainer.generator_input(2, L, ab))  # hints fixed by (seed, step)
    assert not torch.equal(x[:, 3], trainer.generator_input(3, L, ab)[:, 3])
    # The hints have their own random stream: crops and flips are those of a run without hints.
    plain = ColorizationTrainer(tiny_config(hints=False), random_images(6, 20), device="cpu")
    assert plain.G.in_channels == 1 and torch.equal(plain.batch(2)["L"], L)
    history = fit(trainer, 3, progress=False)
    assert set(history.losses) == {"d", "g_gan", "g_l1"}
    assert all(np.isfinite(v).all() for v in history.losses.values())


def test_hint_settings_stay_out_of_configs_without_hints():
    assert "hints" not in ColorizeConfig().to_dict()  # old runs' configs (and resumes) are unchanged
    config = tiny_config(hint_p_none=0.5)
    assert config.to_dict()["hint_p_none"] == 0.5
    assert ColorizeConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError, match="hint_max_size <= image_size"):
        ColorizationTrainer(tiny_config(hint_max_size=17), random_images(2, 16))


def test_hint_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    config = tiny_config()
    images = random_images(6, 20)
    full, full_history = train_colorizer(config, images, 4, progress=False, device="cpu")
    train_colorizer(config, images, 2, out_dir=tmp_path, progress=False, device="cpu")
    resumed, resumed_history = train_colorizer(config, images, 4, out_dir=tmp_path, resume=True,
                                               progress=False, device="cpu")
    assert state_equal(resumed.G.state_dict(), full.G.state_dict())
    assert state_equal(resumed.D.state_dict(), full.D.state_dict())
    assert resumed_history.losses == full_history.losses
    with pytest.raises(CheckpointError, match="hints"):  # a run without hints cannot resume it
        train_colorizer(tiny_config(hints=False), images, 5, out_dir=tmp_path, resume=True, progress=False,
                        device="cpu")


# ---------------------------------------------------------------------------------------------
# Export, load, inference


def test_hint_colorizer_export_load_round_trip(tmp_path):
    trainer, _ = train_colorizer(tiny_config(l1_only=True), random_images(6, 16), 2, progress=False,
                                 device="cpu")
    path = export_colorizer(trainer, tmp_path / "colorizer.pt", half=False, inference_size=32)
    blob = torch.load(path, weights_only=True)
    assert blob["inputs"] == ["L", "hint_a", "hint_b", "hint_mask"] and blob["train_config"]["hints"]
    colorizer = load_colorizer(path)
    assert colorizer.takes_hints and colorizer.mode == "l1"
    L, hint_ab, mask = torch.rand(1, 1, 16, 16), torch.rand(1, 2, 16, 16), torch.ones(1, 1, 16, 16)  # noqa: N806
    trainer.G.eval()
    with torch.no_grad():
        expected = trainer.G(torch.cat([L, hint_ab, mask], 1))
        assert torch.equal(colorizer.predict_ab(L, hint_ab, mask), expected)
        # no hints = zero hint maps
        assert torch.equal(colorizer.predict_ab(L), trainer.G(generator_input(L)))
    blob["inputs"] = ["L"]
    torch.save(blob, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="bad.pt: generator inputs"):
        load_colorizer(tmp_path / "bad.pt")


class CopyHints(nn.Module):
    """A stand-in hint 'generator' that outputs its hint ab channels: shows where hints land."""

    in_channels, size_multiple = 4, 8

    def __init__(self) -> None:
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))  # Colorizer.device needs a parameter
        self.inputs: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.inputs.append(x)
        return x[:, 1:3] + self.anchor


def test_colorize_image_paints_a_hint_where_the_user_clicked():
    colorizer = Colorizer(CopyHints(), inference_size=32)
    gray = np.full((48, 64, 3), 128, dtype=np.uint8)  # works at 24x32 (padded to 24x32: multiple of 8)
    blue = Hint.from_rgb(40, 10, "#3366cc", size=8)
    out = colorizer.colorize_image(gray, hints=[blue]).astype(int)
    x = colorizer.generator.inputs[-1]
    assert x.shape == (1, 4, 24, 32) and x[0, 3].sum() == 16  # an 8 px square at half size: 4x4
    assert x[0, 3, 5, 20] == 1 and torch.allclose(x[0, 1:3, 5, 20] * AB_SCALE, torch.tensor(blue.ab))
    assert out[10, 40, 2] > out[10, 40, 0] + 40  # blue-ish at the hint (at the photo's lightness)
    assert (out[40, 5] == 128).all()  # gray far from it
    assert (colorizer.colorize_image(gray) == 128).all()  # no hints: a hint model colorizes alone
    with pytest.raises(UserError, match="outside the 64x48 image"):
        colorizer.colorize_image(gray, hints=[Hint(64, 10, (0, 0))])


def test_a_model_without_hint_inputs_refuses_hints():
    colorizer = load_colorizer(default_checkpoint("l1"))  # the shipped file still loads
    assert not colorizer.takes_hints
    gray = np.full((16, 16, 3), 100, dtype=np.uint8)
    with pytest.raises(UserError, match="takes no colour hints"):
        colorizer.colorize_image(gray, hints=[Hint(1, 1, (20, 20))])
    with pytest.raises(UserError, match="takes no colour hints"):
        colorizer.predict_ab(torch.zeros(1, 1, 32, 32), torch.zeros(1, 2, 32, 32), torch.zeros(1, 1, 32, 32))
    with pytest.raises(UserError, match="takes no colour hints"):
        evaluate_with_hints(colorizer, random_images(2, 32), counts=(0, 1))
    images = random_images(3, 32)
    assert torch.equal(colorize_images(colorizer, images, hints=5), colorize_images(colorizer, images))


# ---------------------------------------------------------------------------------------------
# Evaluation


def test_simulated_hints_do_not_depend_on_the_batch_size():
    colorizer = Colorizer(CopyHints(), inference_size=16)
    images = random_images(5, 16)
    assert torch.equal(colorize_images(colorizer, images, hints=3, batch_size=2),
                       colorize_images(colorizer, images, hints=3, batch_size=5))
    _, mask = simulated_hints(random_ab(4, 16), 2, seed=0)
    assert mask.sum(dim=(1, 2, 3)).max() <= 2 * 9 and mask.sum(dim=(1, 2, 3)).min() >= 9


def test_psnr_rises_with_hints_for_a_model_that_uses_them():
    # Flat images of one random colour: L hardly tells the colour, one hint tells it all (a 1x1
    # bottleneck lets the U-Net spread it over the whole 16x16 image).
    g = torch.Generator().manual_seed(0)
    colours = torch.rand(64, 3, 1, 1, generator=g)
    images = (colours * 0.6 + 0.2).expand(64, 3, 16, 16).mul(255).round().to(torch.uint8).contiguous()
    config = tiny_config(l1_only=True, dropout=0.0, flip=False, batch_size=16, lr=3e-3, hint_p_none=0.3,
                         norm="instance", depth=4, width=8, max_width=32)
    trainer, _ = train_colorizer(config, images, 100, progress=False, device="cpu")
    trainer.G.eval()
    colorizer = Colorizer(trainer.G, inference_size=16)
    results = evaluate_with_hints(colorizer, images[:32], counts=(0, 1, 5))
    psnr = {k: row["psnr"] for k, row in results.items()}
    assert psnr[1] > psnr[0] + 1.5 and psnr[5] > psnr[0] + 1.5, psnr  # about 18.4, 22.0, 21.6 dB
    baseline = evaluate_colorizers({"model": colorizer}, images[:32], hints=5)["model"]["psnr"]
    assert baseline == pytest.approx(psnr[5])
