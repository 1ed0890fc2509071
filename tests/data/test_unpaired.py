"""Two-domain datasets for CycleGAN: the CycleGAN folder layout and the embedded summer / winter scenes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from gancolor.data import UnpairedDomains, load_embedded_domains, load_unpaired_folder
from gancolor.errors import DataError


def _png(path, height: int, width: int, color=(200, 30, 30), center=None) -> None:
    """A solid ``color`` image; with ``center``, a wide image whose central columns (the middle
    square and 5 px either side) are painted ``center``."""
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[:] = color
    if center is not None:
        rgb[:, width // 2 - height // 2 - 5: width // 2 + height // 2 + 5] = center
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path)


def _layout(root, splits=("train", "test"), n=2) -> None:
    for split in splits:
        for domain in "AB":
            for i in range(n):
                _png(root / f"{split}{domain}" / f"{i}.png", 30 + 10 * i, 60, color=(10, 200, 10))


def test_folder_layout_loads_square_uint8_domains_named_after_the_folder(tmp_path):
    root = tmp_path / "summer2winter_yosemite"
    _layout(root, n=2)
    _png(root / "trainA" / "sub" / "wide.jpg", 20, 80, color=(200, 30, 30), center=(30, 30, 200))
    (root / "trainA" / "notes.txt").write_text("not an image, not listed")
    domains = load_unpaired_folder(root, "train", size=16)
    assert domains.a.shape == (3, 3, 16, 16) and domains.b.shape == (2, 3, 16, 16)
    assert domains.a.dtype == torch.uint8 and not domains.paired
    assert domains.names == ("summer", "winter") and "train" in domains.source
    # The wide image: short side resized to 16 (16 x 64), centre 16 x 16 cut: only the blue centre.
    wide = domains.a[2].float()
    assert wide[2].min() > 190 and wide[0].max() < 40
    test = load_unpaired_folder(root, "test", size=8, max_images=1)
    assert test.a.shape == test.b.shape == (1, 3, 8, 8)
    other = tmp_path / "horses"
    _layout(other, splits=("train",), n=1)
    assert load_unpaired_folder(other, size=8).names == ("A", "B")


def test_missing_or_empty_domain_folders_are_one_line_errors_naming_them(tmp_path):
    root = tmp_path / "data"
    _layout(root, splits=("train",), n=1)
    with pytest.raises(DataError) as info:
        load_unpaired_folder(root, "test", size=8)
    message = str(info.value)
    assert message.startswith(f"{root / 'testA'}: no such folder") and "trainA" in message
    assert "\n" not in message
    (root / "testA").mkdir()
    _png(root / "testA" / "x.png", 10, 10)
    with pytest.raises(DataError, match=f"^{root / 'testB'}: no such folder"):
        load_unpaired_folder(root, "test", size=8)
    (root / "testB").mkdir()
    (root / "testB" / "readme.txt").write_text("no images here")
    with pytest.raises(DataError, match=f"^{root / 'testB'}: no image files"):
        load_unpaired_folder(root, "test", size=8)
    with pytest.raises(DataError, match="no such folder"):
        load_unpaired_folder(tmp_path / "nowhere", size=8)
    with pytest.raises(ValueError, match="split"):
        load_unpaired_folder(root, "val", size=8)


def test_an_unreadable_image_is_skipped_with_a_warning_naming_the_file(tmp_path):
    root = tmp_path / "data"
    _layout(root, splits=("train",), n=2)
    bad = root / "trainB" / "1.png"
    bad.write_bytes(bad.read_bytes()[:40])  # truncated
    with pytest.warns(UserWarning) as record:
        domains = load_unpaired_folder(root, size=8)
    messages = [str(w.message) for w in record]
    assert len(messages) == 1 and f"{bad}: " in messages[0] and "\n" not in messages[0]
    assert len(domains.a) == 2 and len(domains.b) == 1  # the same policy as gancolor.data.folder
    (root / "trainB" / "0.png").write_bytes(b"")
    with pytest.warns(UserWarning), pytest.raises(DataError, match="could be read"):
        load_unpaired_folder(root, size=8)


def test_domains_are_checked():
    images = torch.zeros(2, 3, 8, 8, dtype=torch.uint8)
    with pytest.raises(DataError, match="domain b must be a non-empty"):
        UnpairedDomains(images, images.float())
    with pytest.raises(DataError, match="domain a must be a non-empty"):
        UnpairedDomains(images[:0], images)
    with pytest.raises(DataError, match="paired domains need images of the same shape"):
        UnpairedDomains(images, images[:1], paired=True)
    assert "paired=False" in repr(UnpairedDomains(images, images[:1]))


def test_embedded_domains_are_the_same_scenes_in_two_seasons():
    domains = load_embedded_domains("test")
    assert domains.paired and domains.names == ("summer", "winter")
    assert domains.a.shape == domains.b.shape == (200, 3, 64, 64) and domains.a.dtype == torch.uint8
    a, b = domains.a[:50].float(), domains.b[:50].float()
    aligned = (a - b).abs().mean()
    shuffled = (a - b.roll(1, dims=0)).abs().mean()
    assert 0 < aligned < shuffled  # the seasons differ, but b[i] is a's own scene
