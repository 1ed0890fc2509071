"""The ``gancolor`` commands added for style transfer, hints and datasets, as a user runs them:
train cyclegan / multitask, stylize, colorize --hints, evaluate --task / --hints, download."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import smooth_photo as _photo
from PIL import Image

from gancolor.cli import main
from gancolor.commands.data import load_domains
from gancolor.evaluation.stylizer_eval import evaluate_stylizer
from gancolor.infer.stylizer import load_stylizer


@pytest.fixture(scope="module")
def tiny_stylizer(tmp_path_factory) -> Path:
    """A small stylizer file written by the package's own CycleGAN trainer and exporter."""
    from gancolor.data import UnpairedDomains
    from gancolor.train import CycleGANConfig, CycleGANTrainer, export_stylizer, fit

    gen = torch.Generator().manual_seed(0)
    domains = UnpairedDomains(a=torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=gen),
                              b=torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8, generator=gen),
                              paired=True, names=("summer", "winter"))
    config = CycleGANConfig(image_size=32, width=8, n_blocks=1, d_width=8, steps=2)
    trainer = CycleGANTrainer(config, domains)
    fit(trainer, config.steps, progress=False)
    path = tmp_path_factory.mktemp("stylizer") / "stylizer.pt"
    export_stylizer(trainer, path, inference_size=32)
    return path


@pytest.fixture(scope="module")
def tiny_hint_colorizer(tmp_path_factory) -> Path:
    from gancolor.train import ColorizeConfig, export_colorizer, train_colorizer

    gen = torch.Generator().manual_seed(1)
    images = torch.randint(0, 256, (8, 3, 32, 32), dtype=torch.uint8, generator=gen)
    config = ColorizeConfig(image_size=32, batch_size=4, width=8, depth=3, hints=True, l1_only=True)
    trainer, _ = train_colorizer(config, images, steps=2, progress=False)
    path = tmp_path_factory.mktemp("hints") / "colorizer.pt"
    export_colorizer(trainer, path, inference_size=32)
    return path


def test_stylize_photos_of_any_size_keeps_size_and_alpha(tmp_path, tiny_stylizer, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_photo(123, 77)).save(folder / "odd.jpg", quality=95)
    Image.fromarray(_photo(640, 480, 1)).save(folder / "big.png")
    Image.fromarray(_photo(5, 3, 2)).save(folder / "tiny.png")
    rgba = Image.fromarray(_photo(40, 30, 3)).convert("RGBA")
    rgba.putalpha(Image.fromarray(np.full((30, 40), 77, np.uint8)))
    rgba.save(folder / "alpha.png")
    Image.fromarray(_photo(50, 40, 4)).convert("L").save(folder / "gray.png")
    out = tmp_path / "out"
    for direction in ("AtoB", "BtoA"):
        status = main(["stylize", str(folder), "-o", str(out / direction), "--direction", direction,
                       "--checkpoint", str(tiny_stylizer)])
        assert status == 0, capsys.readouterr().err
    sizes = {"odd.jpg": (123, 77), "big.png": (640, 480), "tiny.png": (5, 3), "alpha.png": (40, 30),
             "gray.png": (50, 40)}
    for name, size in sizes.items():
        a, b = Image.open(out / "AtoB" / name), Image.open(out / "BtoA" / name)
        assert a.size == b.size == size, name
    assert np.asarray(Image.open(out / "AtoB" / "alpha.png"))[..., 3].max() == 77
    # The two directions are different generators: their outputs differ.
    a = np.asarray(Image.open(out / "AtoB" / "big.png"), dtype=float)
    b = np.asarray(Image.open(out / "BtoA" / "big.png"), dtype=float)
    assert np.abs(a - b).mean() > 1.0
    assert "stylized 5 of 5" in capsys.readouterr().out


def test_stylize_bad_inputs_one_line_each_nothing_half_written(tmp_path, tiny_stylizer, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    Image.fromarray(_photo(30, 20)).save(folder / "good.png")
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    status = main(["stylize", str(folder), str(tmp_path / "nope.png"), "-o", str(tmp_path / "out"),
                   "--checkpoint", str(tiny_stylizer)])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("gancolor: error:")]
    assert len(lines) == 2 and any("broken.jpg" in x for x in lines) and any("nope.png" in x for x in lines)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["good.png"]


def test_stylize_with_a_colorizer_file_is_explained(tmp_path, tiny_hint_colorizer, capsys):
    Image.fromarray(_photo(20, 20)).save(tmp_path / "a.png")
    status = main(["stylize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"),
                   "--checkpoint", str(tiny_hint_colorizer)])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and "colorizer" in err and "colorizer.pt" in err


def test_colorize_with_hints_json(tmp_path, tiny_hint_colorizer, capsys):
    Image.fromarray(_photo(90, 60)).save(tmp_path / "a.png")
    hints = tmp_path / "hints.json"
    hints.write_text(json.dumps([{"x": 10, "y": 20, "color": "#ff0000"},
                                 {"x": 60, "y": 30, "color": [0, 0, 255], "size": 8}]))
    status = main(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "out"), "--hints", str(hints),
                   "--checkpoint", str(tiny_hint_colorizer)])
    assert status == 0, capsys.readouterr().err
    assert Image.open(tmp_path / "out" / "a.png").size == (90, 60)


def test_colorize_hints_errors_name_the_file(tmp_path, tiny_hint_colorizer, capsys):
    from gancolor.infer.colorizer import default_checkpoint

    Image.fromarray(_photo(40, 30)).save(tmp_path / "a.png")
    bad = tmp_path / "bad.json"
    bad.write_text("[{\"x\": 1}")
    assert main(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "o1"), "--hints", str(bad),
                 "--checkpoint", str(tiny_hint_colorizer)]) == 1
    err = capsys.readouterr().err
    assert "bad.json" in err and err.count("\n") == 1
    outside = tmp_path / "outside.json"
    outside.write_text(json.dumps([{"x": 500, "y": 5, "color": "#00ff00"}]))
    assert main(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "o2"), "--hints", str(outside),
                 "--checkpoint", str(tiny_hint_colorizer)]) == 1
    err = capsys.readouterr().err
    assert "outside" in err and "a.png" in err and not (tmp_path / "o2" / "a.png").exists()
    good = tmp_path / "good.json"
    good.write_text(json.dumps([{"x": 5, "y": 5, "color": "#00ff00"}]))
    assert main(["colorize", str(tmp_path / "a.png"), "-o", str(tmp_path / "o3"), "--hints", str(good),
                 "--checkpoint", str(default_checkpoint("gan"))]) == 1
    err = capsys.readouterr().err
    assert "takes no colour hints" in err and "colorizer_gan.pt" in err


def test_evaluate_hint_curve_json(tiny_hint_colorizer, capsys):
    status = main(["evaluate", "--checkpoint", str(tiny_hint_colorizer), "--hints", "0", "5",
                   "--split", "val", "--source", "scenes", "--json"])
    assert status == 0
    rows = json.loads(capsys.readouterr().out)["results"]
    assert len(rows) == 2 and all("hints" in name for name in rows)
    assert all(np.isfinite(row["psnr"]) for row in rows.values())


def test_evaluate_stylizer_against_identity(tiny_stylizer, capsys):
    status = main(["evaluate", "--task", "stylize", "--checkpoint", str(tiny_stylizer), "--split", "val",
                   "--json"])
    assert status == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["results"]
    assert report["task"] == "stylize"
    assert set(rows) == {"stylizer (stylizer.pt)", "identity (input unchanged)"}
    assert 8.0 < rows["identity (input unchanged)"]["psnr"] < 11.0  # summer vs winter twin: ~9.4 dB


def test_train_cyclegan_then_resume_then_stylize(tmp_path, capsys):
    run = tmp_path / "run"
    common = ["train", "cyclegan", "--out", str(run), "--width", "8", "--blocks", "1",
              "--checkpoint-every", "1", "--steps", "2"]
    assert main(common) == 0
    printed = capsys.readouterr().out
    assert "validation" in printed and "identity" in printed
    assert main(common + ["--resume"]) == 0  # already done: nothing to train, exported again
    history = json.loads((run / "history.json").read_text())
    assert history["steps"] == [0, 1]
    assert main(common[:-1] + ["3", "--resume"]) == 1  # the LR schedule depends on --steps
    assert "steps" in capsys.readouterr().err
    Image.fromarray(_photo(70, 50)).save(tmp_path / "p.png")
    assert main(["stylize", str(tmp_path / "p.png"), "-o", str(tmp_path / "out"),
                 "--checkpoint", str(run / "stylizer.pt")]) == 0


def test_train_cyclegan_keep_best_keeps_the_best_val_checkpoint(tmp_path, capsys):
    run = tmp_path / "run"
    common = ["train", "cyclegan", "--out", str(run), "--width", "8", "--blocks", "1",
              "--checkpoint-every", "1", "--keep-best"]
    assert main(common + ["--steps", "2"]) == 0
    assert "best checkpoint on the val split: step" in capsys.readouterr().out
    record = json.loads((run / "validation.json").read_text())
    assert record["steps"] == [1, 2] and record["metric"] == "val PSNR AtoB (dB)"
    best = record["steps"][record["scores"].index(max(record["scores"]))]
    assert record["best_step"] == best
    kept = load_stylizer(run / "best_stylizer.pt")
    assert kept.meta["steps"] == best  # the file is the model of the chosen step
    val = load_domains("embedded", "val", 64)
    assert evaluate_stylizer(kept, val)["stylizer"]["psnr"] == pytest.approx(max(record["scores"]), abs=0.05)
    status = main(["train", "cyclegan", "--data", str(tmp_path), "--out", str(tmp_path / "r"), "--keep-best"])
    err = capsys.readouterr().err
    assert status == 1 and "--keep-best" in err and err.count("\n") == 1


def test_train_multitask_writes_model_and_reports_both_heads(tmp_path, capsys):
    run = tmp_path / "mt"
    assert main(["train", "multitask", "--out", str(run), "--steps", "1", "--checkpoint-every", "1"]) == 0
    printed = capsys.readouterr().out
    assert "colour head" in printed and "style head" in printed
    assert (run / "multitask.pt").is_file() and (run / "multitask.pt").stat().st_size < 10_000_000


def test_train_unknown_dataset_name_or_folder_is_one_line(tmp_path, capsys):
    status = main(["train", "cyclegan", "--data", "horse2zebra", "--out", str(tmp_path / "r"),
                   "--steps", "1"])
    err = capsys.readouterr().err
    assert status == 1 and "gancolor download horse2zebra" in err and err.count("\n") == 1
    status = main(["train", "colorize", "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "r"),
                   "--steps", "1"])
    err = capsys.readouterr().err
    assert status == 1 and "missing" in err and "Traceback" not in err


def test_download_list_and_unknown_name(tmp_path, capsys):
    assert main(["download", "--list", "--root", str(tmp_path)]) == 0
    listed = capsys.readouterr().out
    for name in ["cifar10", "horse2zebra", "summer2winter_yosemite"]:
        assert name in listed
    assert main(["download", "no_such_set", "--root", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "no_such_set" in err and err.count("\n") == 1


def test_presets_tiny_and_full():
    from gancolor.train.presets import preset_config

    tiny, steps = preset_config("cyclegan", "tiny", num_examples=3000)
    assert (tiny.image_size, tiny.n_blocks, steps, tiny.steps, tiny.decay_steps) == (64, 6, 6000, 6000, 3000)
    full, steps = preset_config("cyclegan", "full", num_examples=1334)
    assert (full.image_size, full.width, full.n_blocks, full.batch_size) == (256, 64, 9, 1)
    assert steps == 200 * 1334 and full.decay_steps == 100 * 1334  # 100 epochs constant + 100 decaying
    config, steps = preset_config("colorize", "full", num_examples=400, lr=1e-4, steps=10)
    assert (config.image_size, config.depth, config.lr, steps) == (256, 8, 1e-4, 10)
    narrow, _ = preset_config("cyclegan", "full", num_examples=10, width=32, n_blocks=6)
    assert (narrow.width, narrow.n_blocks, narrow.image_size) == (32, 6, 256)  # the user wins
    with pytest.raises(ValueError, match="preset"):
        preset_config("colorize", "huge", num_examples=1)
