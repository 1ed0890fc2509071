"""``gancolor colorize --reference``: a folder of gray photos coloured from one reference photo."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from helpers import two_tone_photo as _two_tone
from PIL import Image

from gancolor.cli import main
from gancolor.color import rgb_to_lab


def _gray_folder(tmp_path):
    folder = tmp_path / "gray"
    folder.mkdir()
    for i, (height, width) in enumerate([(50, 70), (81, 33)]):
        Image.fromarray(_two_tone(height, width, seed=10 + i)).convert("L").save(folder / f"g{i}.png")
    Image.fromarray(_two_tone(40, 60, seed=1)).save(tmp_path / "ref.png")
    return folder


def test_a_folder_of_gray_photos_takes_the_references_colours(tmp_path, capsys):
    folder = _gray_folder(tmp_path)
    reference = str(tmp_path / "ref.png")
    status = main(["colorize", str(folder), "--reference", reference, "-o", str(tmp_path / "a")])
    assert status == 0, capsys.readouterr().err
    outputs = sorted((tmp_path / "a").iterdir())
    assert [p.name for p in outputs] == ["g0.png", "g1.png"]
    for path in outputs:
        rgb = np.array(Image.open(path).convert("RGB"))
        gray = np.asarray(Image.open(folder / path.name))
        assert rgb.shape[:2] == gray.shape
        ab = rgb_to_lab(torch.from_numpy(rgb).permute(2, 0, 1).double() / 255)[1:]
        assert ab.abs().mean() > 20  # coloured, not gray
    main(["colorize", str(folder), "--reference", str(tmp_path / "ref.png"), "-o", str(tmp_path / "b")])
    for path in outputs:  # deterministic: the seeded jitter
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes()


@pytest.mark.parametrize("case", ["missing", "corrupt", "gray"])
def test_a_bad_reference_is_one_line_naming_it_and_nothing_is_written(tmp_path, capsys, case):
    folder = _gray_folder(tmp_path)
    reference = tmp_path / f"{case}.png"
    if case == "corrupt":
        reference.write_bytes(b"\x89PNG not really")
    elif case == "gray":
        Image.fromarray(np.full((9, 9), 90, np.uint8)).save(reference)
    status = main(["colorize", str(folder), "--reference", str(reference), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1 and f"{case}.png" in err and "Traceback" not in err, err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_reference_with_hints_or_a_checkpoint_is_refused_in_one_line(tmp_path, capsys):
    folder = _gray_folder(tmp_path)
    (tmp_path / "hints.json").write_text("[]")
    for extra in (["--hints", str(tmp_path / "hints.json")], ["--checkpoint", str(tmp_path / "c.pt")]):
        status = main(["colorize", str(folder), "--reference", str(tmp_path / "ref.png"),
                       "-o", str(tmp_path / "out"), *extra])
        err = capsys.readouterr().err
        assert status == 1 and err.count("\n") == 1 and "--reference" in err, err


def test_evaluate_task_exemplar_prints_every_method(monkeypatch, capsys):
    import gancolor.data.real_photos as real_photos

    photos = {"two_tone": _two_tone(40, 64, seed=3)}
    monkeypatch.setattr(real_photos, "real_photos", lambda split, long_side=512: photos)
    assert main(["evaluate", "--task", "exemplar", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["task"] == "exemplar" and report["photos"] == ["two_tone"]
    names = list(report["results"])
    assert names[:2] == ["gray", "global tint (mean ab)"] and "Welsh 2002" in names
    assert any(name.startswith("automatic") for name in names)
    assert set(report["results"]["gray"]["per_photo"]) == {"two_tone/left", "two_tone/right"}
    assert main(["evaluate", "--task", "exemplar"]) == 0
    assert "vs tint" in capsys.readouterr().out
