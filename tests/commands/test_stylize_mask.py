"""``gancolor stylize --mask``: only the white part of the mask changes, with a soft edge; bad masks."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import smooth_photo
from PIL import Image

from gancolor.cli import main
from gancolor.commands.stylize import FEATHER_DEFAULT
from gancolor.infer.region_style import DEFAULT_FEATHER


@pytest.fixture(scope="module")
def photo_and_full(tmp_path_factory):
    """A 120 x 90 photo and its full stylization by the shipped stylizer (at 64 px, to be quick)."""
    folder = tmp_path_factory.mktemp("masked")
    Image.fromarray(smooth_photo(120, 90)).save(folder / "photo.png")
    assert main(["stylize", str(folder / "photo.png"), "-o", str(folder / "full"), "--size", "64"]) == 0
    photo, full = (np.asarray(Image.open(folder / name)) for name in ("photo.png", "full/photo.png"))
    return folder, photo, full


def _column_fraction(out: np.ndarray, photo: np.ndarray, full: np.ndarray) -> np.ndarray:
    """How far each column of ``out`` went from ``photo`` to ``full`` (0: unchanged, 1: fully stylized)."""
    change, wanted = out.astype(float) - photo, full.astype(float) - photo
    return (change * wanted).sum(axis=(0, 2)) / (wanted * wanted).sum(axis=(0, 2))


def test_mask_changes_only_its_white_part_with_a_smooth_ramp(photo_and_full, capsys):
    folder, photo, full = photo_and_full
    mask = np.zeros((30, 40), np.uint8)  # a quarter of the size: resized to the photo
    mask[:, :20] = 255  # the left half
    Image.fromarray(mask).save(folder / "mask.png")
    status = main(["stylize", str(folder / "photo.png"), "-o", str(folder / "out"), "--size", "64",
                   "--mask", str(folder / "mask.png"), "--feather", "10"])
    assert status == 0, capsys.readouterr().err
    out = np.asarray(Image.open(folder / "out/photo.png"))
    assert out.shape == photo.shape
    assert np.array_equal(out[:, 72:], photo[:, 72:])  # outside the mask (beyond the feather): the input
    assert np.abs(out[:, :48].astype(int) - full[:, :48]).max() <= 1  # inside: the full stylization
    fraction = _column_fraction(out, photo, full)
    ramp = fraction[48:72]
    assert np.all(np.diff(ramp) < 0.02) and np.diff(ramp).min() > -0.15  # falls smoothly, no jump
    assert ramp[0] > 0.95 and ramp[-1] < 0.05 and 0.3 < fraction[59:61].mean() < 0.7


def test_gray_mask_stylizes_partly_and_a_black_one_not_at_all(photo_and_full, capsys):
    folder, photo, full = photo_and_full
    for value in (0, 128):
        Image.fromarray(np.full((90, 120), value, np.uint8)).save(folder / f"gray{value}.png")
        assert main(["stylize", str(folder / "photo.png"), "-o", str(folder / f"g{value}"), "--size", "64",
                     "--mask", str(folder / f"gray{value}.png")]) == 0
    assert np.array_equal(np.asarray(Image.open(folder / "g0/photo.png")), photo)
    half = np.asarray(Image.open(folder / "g128/photo.png")).astype(float)
    expected = photo + 128 / 255 * (full.astype(float) - photo)
    assert np.abs(half - expected).max() <= 1.0


@pytest.mark.parametrize("problem", ["missing", "corrupt", "other shape", "feather without mask"])
def test_bad_mask_one_line_naming_the_file_and_nothing_written(photo_and_full, capsys, problem):
    folder, _, _ = photo_and_full
    mask = folder / f"mask-{problem.replace(' ', '-')}.png"
    if problem == "corrupt":
        mask.write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    elif problem == "other shape":
        Image.fromarray(np.zeros((300, 20), np.uint8)).save(mask)
    out = folder / f"out-{problem.replace(' ', '-')}"
    args = ["stylize", str(folder / "photo.png"), "-o", str(out), "--size", "64"]
    args += ["--feather", "3"] if problem == "feather without mask" else ["--mask", str(mask)]
    status = main(args)
    err = capsys.readouterr().err
    assert status != 0 and "Traceback" not in err and err.count("\n") == 1, err
    assert ("--mask" in err) if problem == "feather without mask" else (mask.name in err)
    assert not out.exists() or not any(out.iterdir())


def test_parser_default_feather_matches_the_module():
    assert FEATHER_DEFAULT == DEFAULT_FEATHER
