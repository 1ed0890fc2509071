"""Read any image file as upright 8-bit RGB (plus alpha), write images atomically, list image files.

Every decoding problem surfaces as one :class:`gancolor.errors.ImageReadError` whose message is
``"<path>: <short reason>"``; no PIL traceback reaches the user.

Arrays are channel-last numpy: ``rgb`` is ``(H, W, 3) uint8``, ``alpha`` is ``(H, W) uint8``
(255 = opaque).
"""

from __future__ import annotations

import contextlib
import os
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from gancolor.errors import ImageReadError, UserError
from gancolor.io_utils import atomic_write, os_reason

__all__ = ["IMAGE_EXTENSIONS", "MAX_PIXELS", "LoadedImage", "decode_image", "open_image", "read_image",
           "read_rgb", "write_image", "list_images"]

#: The largest image (width x height) that :func:`read_image` decodes unless told otherwise (float
#: work at full size, e.g. stylizing, takes tens of bytes per pixel). Larger files are refused with a
#: one-line error before decoding; colorizing, bounded per pixel, reads any size.
MAX_PIXELS = 100_000_000

#: File name endings (lower case, with the dot) that folder listings treat as images.
IMAGE_EXTENSIONS: frozenset[str] = frozenset(
    {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp"}
)

# Extension -> PIL format name for writing.
_WRITE_FORMATS: dict[str, str] = {
    ".jpg": "JPEG",
    ".jpeg": "JPEG",
    ".png": "PNG",
    ".bmp": "BMP",
    ".gif": "GIF",
    ".tif": "TIFF",
    ".tiff": "TIFF",
    ".webp": "WEBP",
}
_FORMATS_WITH_ALPHA = frozenset({"PNG", "TIFF", "WEBP"})
# Formats that store the pixels exactly: the written file must read back the same.
_LOSSLESS_FORMATS = frozenset({"PNG", "BMP", "TIFF"})

# Modes that carry transparency; PIL converts each of them to RGBA exactly.
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBA", "RGBa"})
# Modes whose transparency is a palette entry or a colour key in ``img.info["transparency"]``.
_TRANSPARENCY_KEY_MODES = frozenset({"P", "L", "RGB"})
# Integer grayscale modes wider than 8 bits.
_WIDE_INT_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "I;16S"})


@dataclass(frozen=True)
class LoadedImage:
    """A decoded image: ``rgb`` (H, W, 3) uint8 and ``alpha`` (H, W) uint8 or None if opaque."""

    rgb: np.ndarray
    alpha: np.ndarray | None = None


def read_image(path: str | os.PathLike, *, pixel_limit: bool = True) -> LoadedImage:
    """Decode the image at ``path`` as upright 8-bit RGB, keeping its alpha channel if it has one.

    Handles EXIF orientation, 1-bit / 8-bit / 16-bit / 32-bit grayscale, float images, palettes
    (with or without transparency), LA / RGBA / PA, CMYK and YCbCr. Multi-frame files give their
    first frame. Raises :class:`ImageReadError` naming ``path`` and the reason. ``pixel_limit``:
    refuse an image over :data:`MAX_PIXELS` before decoding it; False leaves only PIL's guard against
    decompression bombs (2 x ``PIL.Image.MAX_IMAGE_PIXELS``, about 179 megapixels).
    """
    return decode_image(open_image(path, pixel_limit=pixel_limit), path)


def open_image(path: str | os.PathLike, *, pixel_limit: bool = True) -> Image.Image:
    """The first half of :func:`read_image`: open ``path`` and read its header (size, mode), decoding
    nothing; :func:`decode_image` does the rest, on any thread (this half sets warning filters: call
    it on one thread). Raises :class:`ImageReadError` as :func:`read_image` does."""
    path = Path(path)
    with _read_errors(path):
        _check_file(path)
        with warnings.catch_warnings():  # our own pixel budget replaces PIL's bomb warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        if pixel_limit:
            try:
                _check_pixel_budget(path, img.size)
            except ImageReadError:
                img.close()
                raise
        return img


def decode_image(img: Image.Image, path: str | os.PathLike) -> LoadedImage:
    """The second half of :func:`read_image`: decode the image ``img`` that :func:`open_image` opened
    from ``path`` (and close it). Raises :class:`ImageReadError` as :func:`read_image` does."""
    with _read_errors(Path(path)):
        try:
            img.load()  # decode everything now, so truncated files fail here
            return _to_loaded(_upright(img))
        finally:
            img.close()  # (frees PIL's copy of the pixels now, whoever still holds ``img``)


@contextlib.contextmanager
def _read_errors(path: Path) -> Iterator[None]:
    """Turn any failure to read ``path`` into one :class:`ImageReadError` with a short reason."""
    try:
        yield
    except ImageReadError:
        raise
    except Image.DecompressionBombError:
        raise ImageReadError(path, "image too large (decompression bomb guard)") from None
    except FileNotFoundError:
        raise ImageReadError(path, "no such file") from None
    except UnidentifiedImageError:
        raise ImageReadError(path, "not an image file (or unsupported format)") from None
    except PermissionError:
        raise ImageReadError(path, "permission denied") from None
    except MemoryError:
        raise ImageReadError(path, "image too large to decode in memory") from None
    except Exception:  # noqa: BLE001 - PIL's decoders raise OSError, ValueError, SyntaxError, struct.error ...
        raise ImageReadError(path, "image data is truncated or corrupt") from None


def read_rgb(path: str | os.PathLike) -> np.ndarray:
    """Decode ``path`` as ``(H, W, 3) uint8`` RGB; transparent pixels are composited over white."""
    loaded = read_image(path)
    if loaded.alpha is None:
        return loaded.rgb
    a = loaded.alpha.astype(np.float32)[..., None] / 255.0
    over_white = loaded.rgb.astype(np.float32) * a + 255.0 * (1.0 - a)
    return np.round(over_white).astype(np.uint8)


def _check_file(path: Path) -> None:
    if path.is_symlink() and not path.exists():
        raise ImageReadError(path, "broken symbolic link (or a loop of links)")
    if not path.exists():
        raise ImageReadError(path, "no such file")
    if path.is_dir():
        raise ImageReadError(path, "is a directory, not an image file")
    if path.stat().st_size == 0:
        raise ImageReadError(path, "file is empty")


def _check_pixel_budget(path: Path, size: tuple[int, int]) -> None:
    """Refuse an image of ``size`` (W, H) with more than :data:`MAX_PIXELS` pixels, before decoding it."""
    width, height = size
    if width * height > MAX_PIXELS:
        raise ImageReadError(path, f"image is {width}x{height} = {width * height / 1e6:.0f} megapixels, "
                                   f"more than the limit of {MAX_PIXELS / 1e6:.0f} megapixels")


def _upright(img: Image.Image) -> Image.Image:
    """Apply the EXIF orientation tag so that the pixels are the way the camera meant them
    (in place: an upright image is not copied)."""
    try:
        ImageOps.exif_transpose(img, in_place=True)
    except Exception:  # noqa: BLE001 - a broken EXIF block must not make a good image unreadable
        pass
    return img


def _to_loaded(img: Image.Image) -> LoadedImage:
    """Turn a decoded PIL image of any mode into 8-bit RGB plus optional alpha."""
    mode = img.mode
    if mode in _WIDE_INT_MODES or mode == "F":
        gray = _gray_to_uint8(np.asarray(img), mode)
        return LoadedImage(np.repeat(gray[..., None], 3, axis=2))
    if mode in _ALPHA_MODES or (mode in _TRANSPARENCY_KEY_MODES and "transparency" in img.info):
        rgba = np.asarray(img.convert("RGBA"))
        return LoadedImage(np.ascontiguousarray(rgba[..., :3]), np.ascontiguousarray(rgba[..., 3]))
    # 1, L, P, RGB, YCbCr, LAB, HSV; and CMYK, converted naively (PIL applies no ICC profile).
    if mode == "RGB":
        return LoadedImage(_array_of(img))
    rgb = img.convert("RGB")
    img.close()
    return LoadedImage(_array_of(rgb))


def _array_of(img: Image.Image) -> np.ndarray:
    """The pixels of ``img`` as a writable (H, W, bands) uint8 numpy array, copied band by band of rows
    (faster than one ``tobytes``, which holds the whole image twice more); ``img`` is closed after."""
    (width, height), bands = img.size, len(img.getbands())
    pixels = np.empty((height, width, bands), np.uint8)
    rows = max(1, (1 << 18) // max(1, width))
    for top in range(0, height, rows):
        bottom = min(height, top + rows)
        strip = img.crop((0, top, width, bottom)).tobytes()
        pixels[top:bottom] = np.frombuffer(strip, np.uint8).reshape(bottom - top, width, bands)
    img.close()
    return pixels


def _gray_to_uint8(values: np.ndarray, mode: str) -> np.ndarray:
    """Map wide grayscale ``values`` (H, W) to uint8.

    16-bit data (every ``I;16*`` mode, and ``I`` data that fits in [0, 65535]) scales by
    255 / 65535, so 65535 -> 255 and 32768 -> 128. Float data in [0, 1] scales by 255.
    Anything else (negative or wider values) is stretched from its own min..max to 0..255.
    """
    v = values.astype(np.float64)
    v[~np.isfinite(v)] = 0.0
    lo, hi = (float(v.min()), float(v.max())) if v.size else (0.0, 0.0)
    if mode.startswith("I;16") or (mode == "I" and lo >= 0 and hi <= 65535):
        scaled = v * (255.0 / 65535.0)
    elif mode == "F" and lo >= 0 and hi <= 1:
        scaled = v * 255.0
    else:
        scaled = (v - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(v)
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def write_image(
    path: str | os.PathLike, rgb: np.ndarray, alpha: np.ndarray | None = None, quality: int = 95
) -> None:
    """Write ``rgb`` (H, W, 3) uint8, plus ``alpha`` (H, W) uint8 if given, to ``path``.

    The format comes from the extension (see :data:`IMAGE_EXTENSIONS`). Alpha is kept for PNG,
    WebP and TIFF and dropped for JPEG, BMP and GIF. JPEG and WebP use ``quality`` (JPEG without
    chroma subsampling). The write is atomic and verified (see :mod:`gancolor.io_utils`): the file
    is decoded again before it replaces ``path``; on any failure the old file is untouched.
    Raises :class:`UserError` for an unknown extension and its subclass
    :class:`~gancolor.errors.WriteError` for a failed write.
    """
    path = Path(path)
    fmt = _WRITE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = " ".join(sorted(_WRITE_FORMATS))
        raise UserError(f"{path}: unknown image extension {path.suffix!r} (use one of: {known})")
    rgb = np.asarray(rgb)
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"rgb must be an (H, W, 3) uint8 array; got {rgb.shape} {rgb.dtype}")
    if alpha is not None:
        alpha = np.asarray(alpha)
        if alpha.shape != rgb.shape[:2] or alpha.dtype != np.uint8:
            raise ValueError(f"alpha must be an (H, W) uint8 array like rgb; got {alpha.shape} {alpha.dtype}")

    keeps_alpha = alpha is not None and fmt in _FORMATS_WITH_ALPHA
    if keeps_alpha:
        img = Image.fromarray(np.dstack([rgb, alpha]), mode="RGBA")
    else:
        img = Image.fromarray(np.ascontiguousarray(rgb), mode="RGB")
    options: dict[str, object] = {}
    if fmt == "JPEG":
        options = {"quality": quality, "subsampling": 0}
    elif fmt == "WEBP":
        options = {"quality": quality}
    expected = ((rgb, alpha) if keeps_alpha else (rgb,)) if fmt in _LOSSLESS_FORMATS else None
    size = img.size
    with atomic_write(path, verify=lambda tmp: _verify_written(tmp, size, expected)) as tmp:
        img.save(tmp, format=fmt, **options)
        del img  # the encoder's copy of the pixels, freed before the file is read back


#: Rows compared at a time when a lossless image is read back (bounded memory at any size).
_VERIFY_ROWS = 256


def _verify_written(path: Path, size: tuple[int, int], expected: tuple[np.ndarray, ...] | None) -> None:
    """Decode the image just written to ``path`` in full; raise ``ValueError`` unless it has
    ``size`` (W, H) and, for lossless formats, exactly the pixels ``expected``: (rgb,) or
    (rgb, alpha), (H, W, 3) and (H, W) uint8.

    This catches short writes that a format's encoder does not notice (a full disk under a JPEG,
    BMP or TIFF encoder), so that a truncated file never replaces a good one. A JPEG is decoded at
    1/8 scale (libjpeg still reads every byte, so a cut file fails; 5x faster); lossless pixels are
    compared band by band of rows.
    """
    try:
        with _opened_without_bomb_warning(path, size) as written:
            got = written.size
            if written.format == "JPEG":
                written.draft("RGB", (max(1, got[0] // 8), max(1, got[1] // 8)))
            written.load()
            same = expected is None or _same_pixels(written, expected)
    except Exception as error:  # noqa: BLE001 - any decoding failure means a broken file
        raise ValueError(f"the image does not decode: {os_reason(error)}") from None
    if got != size:
        raise ValueError(f"the image reads back as {got[0]}x{got[1]}, not {size[0]}x{size[1]}")
    if not same:
        raise ValueError("the image does not read back the same")


@contextlib.contextmanager
def _opened_without_bomb_warning(path: Path, size: tuple[int, int]) -> Iterator[Image.Image]:
    """``Image.open(path)`` of an image we wrote, ``size`` (W, H): without PIL's bomb warning (it is ours).
    The warning filters are touched only for a size that would warn (they are the process's, and this
    may run on a writer thread)."""
    if size[0] * size[1] <= (Image.MAX_IMAGE_PIXELS or float("inf")):
        with Image.open(path) as img:
            yield img
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        img = Image.open(path)
    with img:
        yield img


def _same_pixels(written: Image.Image, expected: tuple[np.ndarray, ...]) -> bool:
    """Whether the decoded image ``written`` holds exactly ``expected`` ((rgb,) or (rgb, alpha))."""
    mode = "RGBA" if len(expected) == 2 else "RGB"
    if written.mode != mode:
        written = written.convert(mode)
    width, height = written.size
    if expected[0].shape[:2] != (height, width):
        return False
    for top in range(0, height, _VERIFY_ROWS):
        bottom = min(height, top + _VERIFY_ROWS)
        rows = np.asarray(written.crop((0, top, width, bottom)))
        if not np.array_equal(rows[..., :3], expected[0][top:bottom]):
            return False
        if mode == "RGBA" and not np.array_equal(rows[..., 3], expected[1][top:bottom]):
            return False
    return True


def list_images(inputs: Sequence[str | os.PathLike]) -> list[Path]:
    """Expand ``inputs`` into a list of image paths, in order and without repeats.

    Folders are searched recursively for files whose extension is in :data:`IMAGE_EXTENSIONS`
    (case-insensitive), in sorted order, skipping hidden files and folders. Paths named
    explicitly are kept whatever their extension, and so are missing paths, so that reading
    them later reports the problem with the file's name.
    """
    found: list[Path] = []
    for item in inputs:
        path = Path(item)
        found.extend(_images_in_folder(path) if path.is_dir() else [path])
    return list(dict.fromkeys(found))


def _images_in_folder(folder: Path) -> list[Path]:
    images = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]  # prune hidden folders
        images.extend(
            Path(dirpath, name)
            for name in filenames
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS
        )
    return sorted(images)
