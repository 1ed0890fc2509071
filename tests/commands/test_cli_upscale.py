"""``gancolor colorize --upscale`` and ``gancolor train superres`` as a user runs them."""

from __future__ import annotations

import contextlib
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import smooth_photo
from PIL import Image

from gancolor.cli import main


@pytest.fixture(scope="module")
def tiny_superres(tmp_path_factory) -> Path:
    """A small x2 super-resolution file written by the package's own trainer and exporter."""
    from gancolor.train import fit
    from gancolor.train.superres import SuperResConfig, SuperResTrainer, export_superres

    gen = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=gen)
    config = SuperResConfig(image_size=32, batch_size=2, width=8, depth=2, max_width=16, features=8)
    trainer = SuperResTrainer(config, images)
    fit(trainer, 1, progress=False)
    return export_superres(trainer, tmp_path_factory.mktemp("superres") / "superres.pt")


@pytest.mark.parametrize("factor", [2, 4])
def test_upscale_photos_of_any_size_keeps_alpha(tmp_path, tiny_superres, factor):
    Image.fromarray(smooth_photo(30, 17)).convert("L").save(tmp_path / "small_gray.jpg")
    rgba = np.dstack([smooth_photo(9, 5), np.full((5, 9), 128, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    out = tmp_path / "out"
    status = main(["colorize", str(tmp_path / "small_gray.jpg"), str(tmp_path / "rgba.png"), "--upscale",
                   str(factor), "--checkpoint", str(tiny_superres), "-o", str(out)])
    assert status == 0
    assert Image.open(out / "small_gray.jpg").size == (30 * factor, 17 * factor)
    with Image.open(out / "rgba.png") as image:
        assert image.size == (9 * factor, 5 * factor) and image.mode == "RGBA"


def test_upscale_bad_input_is_one_line_each_and_nothing_half_written(tmp_path, tiny_superres, capsys):
    Image.fromarray(smooth_photo(12, 12)).save(tmp_path / "good.png")
    (tmp_path / "bad.jpg").write_bytes(b"not an image")
    status = main(["colorize", str(tmp_path / "good.png"), str(tmp_path / "bad.jpg"), "--upscale", "2",
                   "--checkpoint", str(tiny_superres), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1 and "bad.jpg" in err and "Traceback" not in err
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.png"]


@pytest.mark.parametrize("args, needle", [
    (["--upscale", "3"], "invalid choice"),
    (["--upscale", "2", "--hints", "h.json"], "--hints does not go with --upscale"),
    (["--upscale", "2", "--reference", "ref.png"], "--reference does not go with --upscale"),
    (["--upscale", "2", "--checkpoint", "missing.pt"], "missing.pt"),
])
def test_upscale_refuses_in_one_line(tmp_path, capsys, args, needle):
    Image.fromarray(smooth_photo(8, 8)).save(tmp_path / "a.png")
    with pytest.raises(SystemExit) if "invalid" in needle else contextlib.nullcontext():
        status = main(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), *args])
        assert status != 0
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_train_superres_options_are_checked(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["train", "superres", "--scale", "3", "--out", str(tmp_path / "run")])
    assert "invalid choice" in capsys.readouterr().err
