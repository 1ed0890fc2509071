"""The shipped photo -> painting stylizer from the command line: ``gancolor stylize --model painting``
and ``gancolor evaluate --task stylize --data embedded-paintings|photos``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import smooth_photo
from PIL import Image

from gancolor.cli import main
from gancolor.commands.stylize import SHIPPED_MODELS
from gancolor.data.paintings import PAINTING_DOMAINS
from gancolor.evaluation import painting_eval
from gancolor.infer.stylizer import SHIPPED_STYLIZERS, default_stylizer, load_stylizer, shipped_stylizer


def test_the_parser_lists_the_shipped_models():
    assert tuple(SHIPPED_STYLIZERS) == SHIPPED_MODELS
    assert shipped_stylizer("seasons") == default_stylizer()
    with pytest.raises(ValueError, match="painting"):
        shipped_stylizer("monet")


def test_the_shipped_painting_model_is_small_and_photo_to_painting():
    path = shipped_stylizer("painting")
    assert path.is_file() and path.stat().st_size < 10_000_000
    assert load_stylizer(path).domains == PAINTING_DOMAINS


def test_stylize_with_the_painting_model(tmp_path, capsys):
    Image.fromarray(smooth_photo(90, 60)).save(tmp_path / "p.png")
    assert main(["stylize", str(tmp_path / "p.png"), "-o", str(tmp_path / "out"), "--model", "painting"]) == 0
    out = np.asarray(Image.open(tmp_path / "out" / "p.png"))
    assert out.shape == (60, 90, 3) and not np.array_equal(out, smooth_photo(90, 60))
    with pytest.raises(SystemExit):  # one model or the other
        main(["stylize", str(tmp_path / "p.png"), "-o", str(tmp_path / "o2"), "--model", "painting",
              "--checkpoint", str(default_stylizer())])
    assert "not allowed with" in capsys.readouterr().err


def test_evaluate_paintings_refuses_a_seasons_model_in_one_line(capsys):
    status = main(["evaluate", "--task", "stylize", "--data", "embedded-paintings", "--checkpoint",
                   str(default_stylizer())])
    err = capsys.readouterr().err
    assert status == 1 and "summer2winter" in err and err.count("\n") == 1


def test_evaluate_the_painting_model_on_real_photos(monkeypatch, capsys):
    from gancolor.data.paintings import load_painting_domains
    from gancolor.evaluation.style_baselines import style_baselines

    targets = load_painting_domains("val").b[:32]  # small baselines: speed
    monkeypatch.setattr(painting_eval, "painting_baselines",
                        lambda size=64, max_train=None: {**style_baselines(targets),
                                                         "Gaussian blur": painting_eval.GaussianBlur(1.0)})
    assert main(["evaluate", "--task", "stylize", "--data", "photos", "--split", "val", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    rows = report["results"]
    assert set(rows) == {"stylizer (stylizer_photo2painting.pt)", "identity", "mean target", "Reinhard",
                         "Gaussian blur", "true painting"}
    assert report["images"] == 1  # the val split's one real photo (chelsea)
