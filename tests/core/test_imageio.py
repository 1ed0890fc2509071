"""gancolor.imageio: reading every kind of image file as RGB, clear errors, atomic writes, listing."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from gancolor.errors import ImageReadError, UserError
from gancolor.imageio import list_images, read_image, read_rgb, write_image


def _gradient(h: int = 32, w: int = 48) -> np.ndarray:
    """A smooth (h, w, 3) uint8 image (JPEG-friendly)."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack([x * 255 // (w - 1), y * 255 // (h - 1), np.full_like(x, 90)], axis=-1).astype(np.uint8)


# --- reading -------------------------------------------------------------------------------


def test_grayscale_is_replicated_to_three_channels(tmp_path: Path) -> None:
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    Image.fromarray(gray, mode="L").save(tmp_path / "g.png")
    loaded = read_image(tmp_path / "g.png")
    assert loaded.rgb.shape == (3, 4, 3) and loaded.rgb.dtype == np.uint8
    assert loaded.alpha is None
    for c in range(3):
        np.testing.assert_array_equal(loaded.rgb[..., c], gray)


def test_one_bit_image_reads_black_and_white(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 1], [1, 0]], dtype=bool)).save(tmp_path / "b.png")
    rgb = read_rgb(tmp_path / "b.png")
    np.testing.assert_array_equal(rgb[..., 0], [[0, 255], [255, 0]])


def test_rgba_keeps_alpha_and_read_rgb_composites_over_white(tmp_path: Path) -> None:
    rgba = np.zeros((2, 2, 4), dtype=np.uint8)
    rgba[0, 0] = (200, 10, 20, 255)
    rgba[1, 1] = (0, 0, 255, 0)  # fully transparent blue
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "a.png")
    loaded = read_image(tmp_path / "a.png")
    np.testing.assert_array_equal(loaded.rgb, rgba[..., :3])
    np.testing.assert_array_equal(loaded.alpha, rgba[..., 3])
    rgb = read_rgb(tmp_path / "a.png")
    assert tuple(rgb[0, 0]) == (200, 10, 20)
    assert tuple(rgb[1, 1]) == (255, 255, 255)


def test_gray_with_alpha(tmp_path: Path) -> None:
    la = np.array([[[10, 255], [200, 128]]], dtype=np.uint8)
    Image.fromarray(la, mode="LA").save(tmp_path / "la.png")
    loaded = read_image(tmp_path / "la.png")
    np.testing.assert_array_equal(loaded.rgb[..., 1], la[..., 0])
    np.testing.assert_array_equal(loaded.alpha, la[..., 1])


def _palette_image() -> Image.Image:
    img = Image.fromarray(np.array([[0, 1], [2, 1]], dtype=np.uint8), mode="P")
    img.putpalette([255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * (256 * 3 - 9))
    return img


def test_palette_image(tmp_path: Path) -> None:
    _palette_image().save(tmp_path / "p.png")
    loaded = read_image(tmp_path / "p.png")
    assert loaded.alpha is None
    assert [tuple(p) for p in loaded.rgb.reshape(-1, 3)] == [
        (255, 0, 0),
        (0, 255, 0),
        (0, 0, 255),
        (0, 255, 0),
    ]


def test_palette_with_transparency(tmp_path: Path) -> None:
    _palette_image().save(tmp_path / "pt.png", transparency=1)  # green is transparent
    loaded = read_image(tmp_path / "pt.png")
    np.testing.assert_array_equal(loaded.alpha, [[255, 0], [255, 0]])
    assert tuple(loaded.rgb[0, 0]) == (255, 0, 0) and tuple(loaded.rgb[1, 0]) == (0, 0, 255)


def test_palette_gif_with_transparency(tmp_path: Path) -> None:
    _palette_image().save(tmp_path / "pt.gif", transparency=1)
    loaded = read_image(tmp_path / "pt.gif")
    assert loaded.alpha is not None and loaded.alpha[0, 1] == 0 and loaded.alpha[0, 0] == 255
    assert tuple(loaded.rgb[0, 0]) == (255, 0, 0)


def test_16_bit_grayscale_is_scaled_not_clipped(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 32768, 65535, 257]], dtype=np.uint16)).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")  # really a wide-integer image
    rgb = read_rgb(tmp_path / "g16.png")
    np.testing.assert_array_equal(rgb[0, :, 0], [0, 128, 255, 1])


def test_32_bit_integer_and_float_grayscale(tmp_path: Path) -> None:
    Image.fromarray(np.array([[0, 70000, 140000]], dtype=np.int32), mode="I").save(tmp_path / "i.tif")
    np.testing.assert_array_equal(read_rgb(tmp_path / "i.tif")[0, :, 0], [0, 128, 255])  # stretched
    Image.fromarray(np.array([[0.0, 0.5, 1.0]], dtype=np.float32), mode="F").save(tmp_path / "f.tif")
    np.testing.assert_array_equal(read_rgb(tmp_path / "f.tif")[0, :, 0], [0, 128, 255])


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    import struct
    import zlib

    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def test_16_bit_rgb_png(tmp_path: Path) -> None:
    """PIL cannot write 16-bit RGB, so the file is assembled by hand (colour type 2, depth 16)."""
    import struct
    import zlib

    pixels = np.array([[[65535, 0, 32768], [256, 512, 1024]]], dtype=">u2")
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)
    png = (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 1, 16, 2, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(raw))
        + _png_chunk(b"IEND", b"")
    )
    (tmp_path / "rgb16.png").write_bytes(png)
    rgb = read_rgb(tmp_path / "rgb16.png")
    np.testing.assert_array_equal(rgb, [[[255, 0, 128], [1, 2, 4]]])


def test_cmyk_jpeg_reads_as_rgb(tmp_path: Path) -> None:
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(tmp_path / "c.jpg", quality=95)  # pure red ink
    assert Image.open(tmp_path / "c.jpg").mode == "CMYK"
    rgb = read_rgb(tmp_path / "c.jpg").astype(int)
    assert rgb.shape == (16, 16, 3)
    assert np.abs(rgb - [255, 0, 0]).max() <= 8


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    """Orientation 6 means 'turn 90 degrees clockwise to view': a stored 64x32 image is 32 wide, 64 tall."""
    stored = np.zeros((32, 64, 3), dtype=np.uint8)
    stored[...] = (0, 0, 255)
    stored[:16, :16] = (255, 0, 0)  # red in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(stored).save(tmp_path / "r.jpg", exif=exif, quality=95)
    rgb = read_rgb(tmp_path / "r.jpg").astype(int)
    assert rgb.shape == (64, 32, 3)
    assert np.abs(rgb[4, 27] - [255, 0, 0]).max() < 30  # red is now top-right
    assert np.abs(rgb[4, 4] - [0, 0, 255]).max() < 30
    assert np.abs(rgb[60, 27] - [0, 0, 255]).max() < 30


def _assert_read_error(path: Path, reason_part: str) -> None:
    with pytest.raises(ImageReadError) as info:
        read_image(path)
    message = str(info.value)
    assert str(path) in message and reason_part in message
    assert "\n" not in message
    assert info.value.path == str(path)
    # No PIL exception chained on: the user sees one line, not a traceback.
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__


def test_missing_file(tmp_path: Path) -> None:
    _assert_read_error(tmp_path / "nope.png", "no such file")


def test_directory(tmp_path: Path) -> None:
    (tmp_path / "d.png").mkdir()
    _assert_read_error(tmp_path / "d.png", "is a directory")


def test_empty_file(tmp_path: Path) -> None:
    (tmp_path / "e.jpg").write_bytes(b"")
    _assert_read_error(tmp_path / "e.jpg", "empty")


def test_text_file_named_jpg(tmp_path: Path) -> None:
    (tmp_path / "t.jpg").write_text("these are not the pixels you are looking for\n")
    _assert_read_error(tmp_path / "t.jpg", "not an image file")


def test_truncated_jpeg(tmp_path: Path) -> None:
    noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype=np.uint8)
    Image.fromarray(noise).save(tmp_path / "full.jpg", quality=90)
    data = (tmp_path / "full.jpg").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    _assert_read_error(tmp_path / "cut.jpg", "truncated or corrupt")


def test_decompression_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Image.fromarray(np.zeros((64, 64, 3), np.uint8)).save(tmp_path / "big.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 4096 pixels > 2 x 100: PIL refuses
    _assert_read_error(tmp_path / "big.png", "too large")


# --- writing -------------------------------------------------------------------------------


def test_png_round_trip_is_exact_with_alpha(tmp_path: Path) -> None:
    rgb = _gradient()
    alpha = np.tile(np.arange(48, dtype=np.uint8) * 5, (32, 1))
    write_image(tmp_path / "out.png", rgb, alpha)
    loaded = read_image(tmp_path / "out.png")
    np.testing.assert_array_equal(loaded.rgb, rgb)
    np.testing.assert_array_equal(loaded.alpha, alpha)


def test_jpeg_round_trip_is_close_and_drops_alpha(tmp_path: Path) -> None:
    rgb = _gradient()
    write_image(tmp_path / "out.JPG", rgb, alpha=np.zeros(rgb.shape[:2], np.uint8))
    loaded = read_image(tmp_path / "out.JPG")
    assert loaded.alpha is None
    assert np.abs(loaded.rgb.astype(int) - rgb).mean() < 2.0
    assert sorted(os.listdir(tmp_path)) == ["out.JPG"]  # no temporary file left


@pytest.mark.parametrize("ext", [".webp", ".tif", ".bmp"])
def test_other_formats_round_trip(tmp_path: Path, ext: str) -> None:
    rgb = _gradient()
    write_image(tmp_path / f"out{ext}", rgb)
    assert np.abs(read_rgb(tmp_path / f"out{ext}").astype(int) - rgb).mean() < 3.0


def test_unknown_extension_is_a_user_error_and_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="out.xyz") as info:
        write_image(tmp_path / "out.xyz", _gradient())
    assert "\n" not in str(info.value)
    assert os.listdir(tmp_path) == []


def test_failed_write_leaves_neither_file_nor_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "keep.png").write_bytes(b"old")

    def broken_save(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
        Path(fp).write_bytes(b"half an image")  # type: ignore[arg-type]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Image.Image, "save", broken_save)
    with pytest.raises(UserError, match="No space left"):
        write_image(tmp_path / "new.png", _gradient())
    with pytest.raises(UserError):
        write_image(tmp_path / "keep.png", _gradient())
    assert os.listdir(tmp_path) == ["keep.png"]
    assert (tmp_path / "keep.png").read_bytes() == b"old"  # the old file is untouched


def test_write_rejects_wrong_arrays(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_image(tmp_path / "x.png", np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError):
        write_image(tmp_path / "x.png", np.zeros((4, 4, 3), np.float32))


# --- listing -------------------------------------------------------------------------------


def test_list_images(tmp_path: Path) -> None:
    for rel in [
        "b.png",
        "a.JPG",
        "sub/c.webp",
        "sub/deeper/d.tiff",
        "notes.txt",
        ".hidden.png",
        ".cache/e.png",
    ]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"x")
    explicit = tmp_path / "notes.txt"
    missing = tmp_path / "missing.png"
    found = list_images([tmp_path, explicit, missing, tmp_path / "b.png"])
    assert found == [
        tmp_path / "a.JPG",
        tmp_path / "b.png",
        tmp_path / "sub" / "c.webp",
        tmp_path / "sub" / "deeper" / "d.tiff",
        explicit,  # named explicitly: kept whatever its extension
        missing,  # missing: kept, so reading it reports the problem
    ]  # and b.png, named twice, appears once


def test_list_images_of_empty_folder(tmp_path: Path) -> None:
    assert list_images([tmp_path]) == []
