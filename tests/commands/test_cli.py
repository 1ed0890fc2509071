"""The ``gancolor`` command as a user runs it: colorize, evaluate, train, errors."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import smooth_photo as _photo
from PIL import Image

from gancolor.cli import main
from gancolor.color import rgb_to_lab


@pytest.fixture(scope="module")
def tiny_colorizer(tmp_path_factory) -> Path:
    """A small colorizer file written by the package's own trainer and exporter (a few steps)."""
    from gancolor.train import ColorizeConfig, export_colorizer, train_colorizer

    seeded = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=seeded)
    config = ColorizeConfig(image_size=32, batch_size=4, width=8, depth=3)
    trainer, _ = train_colorizer(config, images, steps=2, progress=False)
    path = tmp_path_factory.mktemp("ckpt") / "colorizer.pt"
    export_colorizer(trainer, path, inference_size=32)
    return path


def _lightness(rgb: np.ndarray) -> np.ndarray:
    tensor = torch.from_numpy(np.array(rgb)).permute(2, 0, 1).double() / 255.0
    return rgb_to_lab(tensor)[0].numpy()


def _write_inputs(folder: Path) -> dict[str, tuple[int, int]]:
    """Every kind of input a user may have, with its expected upright (width, height)."""
    folder.mkdir(parents=True, exist_ok=True)
    photo = _photo(90, 60)
    Image.fromarray(photo).save(folder / "colour.jpg", quality=95)
    Image.fromarray(photo).convert("L").save(folder / "gray.png")
    rgba = Image.fromarray(photo).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.full((60, 90), 128, np.uint8)))
    rgba.save(folder / "alpha.png")
    Image.fromarray(photo).convert("P", palette=Image.ADAPTIVE, colors=32).save(folder / "palette.gif")
    sixteen = (_lightness(photo) / 100 * 65535).astype(np.uint16)
    Image.fromarray(sixteen).save(folder / "sixteen.png")
    Image.fromarray(photo).convert("CMYK").save(folder / "cmyk.jpg")
    rotated = Image.fromarray(photo)
    exif = rotated.getexif()
    exif[0x0112] = 6  # stored landscape, displayed rotated 90 degrees: portrait
    rotated.save(folder / "exif_rotated.jpg", exif=exif.tobytes())
    sizes = {name: (90, 60) for name in ["colour.jpg", "gray.png", "alpha.png", "palette.png", "sixteen.png",
                                         "cmyk.jpg"]}
    sizes["exif_rotated.jpg"] = (60, 90)
    return sizes


def test_colorize_every_kind_of_photo_keeps_size_orientation_and_lightness(tmp_path, tiny_colorizer, capsys):
    expected_sizes = _write_inputs(tmp_path / "in")
    out = tmp_path / "out"
    status = main(["colorize", str(tmp_path / "in"), "-o", str(out), "--checkpoint", str(tiny_colorizer)])
    assert status == 0, capsys.readouterr().err
    for name, size in expected_sizes.items():
        result = Image.open(out / name)
        assert result.size == size, name
        assert result.mode in {"RGB", "RGBA"}, name
    assert Image.open(out / "alpha.png").mode == "RGBA"
    assert np.asarray(Image.open(out / "alpha.png"))[..., 3].max() == 128
    # Lightness is the input's own, to within PNG rounding and the chroma clipping of sRGB.
    source = np.asarray(Image.open(tmp_path / "in" / "gray.png").convert("RGB"))
    result = np.asarray(Image.open(out / "gray.png").convert("RGB"))
    assert np.median(np.abs(_lightness(source) - _lightness(result))) < 1.5


def test_exif_rotation_is_applied(tmp_path, tiny_colorizer):
    _write_inputs(tmp_path / "in")
    main(["colorize", str(tmp_path / "in" / "exif_rotated.jpg"), "-o", str(tmp_path / "out"),
          "--checkpoint", str(tiny_colorizer)])
    result = np.asarray(Image.open(tmp_path / "out" / "exif_rotated.jpg").convert("L")).astype(float)
    upright = np.asarray(Image.open(tmp_path / "in" / "exif_rotated.jpg").transpose(Image.ROTATE_270)
                         .convert("L")).astype(float)
    assert result.shape == upright.shape == (90, 60)
    assert np.corrcoef(result.ravel(), upright.ravel())[0, 1] > 0.9


def test_bad_files_get_one_line_each_and_the_rest_are_processed(tmp_path, tiny_colorizer, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_photo(40, 30)).save(folder / "good.jpg")
    buffer = io.BytesIO()
    Image.fromarray(_photo(64, 64)).save(buffer, format="JPEG")
    (folder / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (folder / "empty.png").write_bytes(b"")
    (folder / "notes.jpg").write_text("this is not an image\n")
    out = tmp_path / "out"
    status = main(["colorize", str(folder), str(tmp_path / "missing.jpg"), "-o", str(out),
                   "--checkpoint", str(tiny_colorizer)])
    err = capsys.readouterr().err
    assert status == 1
    error_lines = [line for line in err.splitlines() if line.startswith("gancolor: error:")]
    assert len(error_lines) == 4, err
    for name in ["truncated.jpg", "empty.png", "notes.jpg", "missing.jpg"]:
        assert any(name in line for line in error_lines), (name, err)
        assert not (out / name).exists()
    assert "Traceback" not in err
    assert (out / "good.jpg").is_file()
    assert sorted(p.name for p in out.iterdir()) == ["good.jpg"]  # no temporary files left


def test_corrupt_checkpoint_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    Image.fromarray(_photo(20, 20)).save(tmp_path / "a.png")
    status = main(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"),
                   "--checkpoint", str(bad)])
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and "bad.pt" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_training_checkpoint_given_as_colorizer_is_explained(tmp_path, capsys):
    from gancolor.io_utils import atomic_torch_save

    atomic_torch_save({"format": "gancolor.training", "modules": {}}, tmp_path / "checkpoint.pt")
    status = main(["evaluate", "--checkpoint", str(tmp_path / "checkpoint.pt")])
    err = capsys.readouterr().err
    assert status == 1 and "checkpoint.pt" in err and "colorizer" in err


def test_no_traceback_from_the_installed_command(tmp_path, tiny_colorizer):
    (tmp_path / "x.jpg").write_text("nope")
    result = subprocess.run([sys.executable, "-m", "gancolor", "colorize", str(tmp_path / "x.jpg"),
                             "-o", str(tmp_path / "out"), "--checkpoint", str(tiny_colorizer)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "x.jpg" in result.stderr


def test_train_on_a_folder_then_resume_then_colorize(tmp_path, capsys):
    folder = tmp_path / "photos"
    folder.mkdir()
    for seed in range(6):
        Image.fromarray(_photo(48, 40, seed)).save(folder / f"p{seed}.png")
    run = tmp_path / "run"
    common = ["train", "colorize", "--data", str(folder), "--out", str(run), "--image-size", "32",
              "--batch-size", "4", "--width", "8", "--depth", "3", "--checkpoint-every", "2"]
    assert main(common + ["--steps", "2"]) == 0
    assert main(common + ["--steps", "4", "--resume"]) == 0
    history = json.loads((run / "history.json").read_text())
    assert history["steps"][-1] == 3 or history["steps"][-1] == 4
    assert (run / "colorizer.pt").is_file() and (run / "losses.png").is_file()
    capsys.readouterr()
    assert main(["colorize", str(folder / "p0.png"), "-o", str(tmp_path / "out"),
                 "--checkpoint", str(run / "colorizer.pt")]) == 0


def test_resume_without_checkpoint_is_a_clear_error(tmp_path, capsys):
    status = main(["train", "colorize", "--data", "embedded", "--out", str(tmp_path / "none"), "--steps", "1",
                   "--resume", "--width", "8", "--depth", "3"])
    err = capsys.readouterr().err
    assert status == 1 and "none" in err and "Traceback" not in err


def test_evaluate_json_has_model_gray_and_truth(tmp_path, tiny_colorizer, capsys):
    status = main(["evaluate", "--checkpoint", str(tiny_colorizer), "--split", "test", "--json"])
    assert status == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["results"]
    assert set(rows) >= {"gray", "ground truth"} and len(rows) == 3
    assert rows["ground truth"]["psnr"] is None  # infinite: identical images
    assert rows["ground truth"]["ssim"] == pytest.approx(1.0)
    assert rows["gray"]["colorfulness"] < rows["ground truth"]["colorfulness"]
    for row in rows.values():
        assert set(row) >= {"psnr", "ssim", "colorfulness", "colorfulness_ambiguous"}


def test_demo_writes_the_figure_and_prints_the_table(tmp_path, capsys):
    out = tmp_path / "demo.png"
    assert main(["demo", "--out", str(out), "--rows", "4"]) == 0
    printed = capsys.readouterr().out
    assert Image.open(out).size[0] > 300
    for row in ["L1 only", "GAN", "gray", "ground truth"]:
        assert row in printed
    assert "PSNR" in printed and "colorful" in printed


def test_demo_trains_small_models_when_no_checkpoint_is_shipped(tmp_path, monkeypatch, capsys):
    import gancolor.commands.demo as demo

    monkeypatch.setattr(demo, "default_checkpoint", lambda mode: tmp_path / "absent" / f"{mode}.pt")
    monkeypatch.setattr(demo, "fallback_dir", lambda: tmp_path / "demo-models")
    monkeypatch.setattr(demo, "FALLBACK_STEPS", 2)
    colorizers = demo.demo_colorizers()
    assert set(colorizers) == {"L1 only", "GAN"}
    assert colorizers["GAN"].mode == "gan" and colorizers["L1 only"].mode == "l1"
    assert (tmp_path / "demo-models" / "colorizer_gan.pt").is_file()
    assert "training a small one" in capsys.readouterr().out


def test_under_torchrun_only_rank_0_prints_the_error(tmp_path, capsys, monkeypatch):
    command = ["evaluate", "--checkpoint", str(tmp_path / "missing.pt")]
    for name, value in {"WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1",
                        "MASTER_PORT": "29500", "RANK": "1"}.items():
        monkeypatch.setenv(name, value)
    assert main(command) == 1
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("RANK", "0")
    assert main(command) == 1
    assert "missing.pt" in capsys.readouterr().err


def test_a_stray_rank_outside_torchrun_does_not_hide_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("RANK", "1")
    for name in ("WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert main(["evaluate", "--checkpoint", str(tmp_path / "missing.pt")]) == 1
    assert "missing.pt" in capsys.readouterr().err


def test_every_sub_command_has_the_same_shape_and_help_needs_no_torch():
    """Each sub-command is a module with ``add_parser`` and ``run``; building the parser (``gancolor
    --help``) imports neither torch nor numpy, so it answers at once."""
    from gancolor.cli import COMMANDS

    for command in COMMANDS:
        assert callable(command.add_parser) and callable(command.run), command.__name__
    code = ("import sys; from gancolor.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
