"""gancolor.data.download / registry / commands.download against a local HTTP server (never the internet)."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import threading
import zipfile
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from gancolor.commands.download import download_command
from gancolor.data import download as dl
from gancolor.data.download import (
    LOCK_NAME,
    MARKER_NAME,
    ChecksumError,
    DownloadError,
    UnsafeArchiveError,
    UnverifiedDownloadWarning,
    dataset_path,
    download,
    fetch,
    fetching,
    list_datasets,
    read_marker,
    resolve_data,
    safe_extract,
)
from gancolor.data.registry import (
    LAYOUTS,
    REQUIRED_FIELDS,
    default_registry_path,
    load_registry,
    parse_registry,
)
from gancolor.errors import DataError, UserError

# ------------------------------------------------------------------------------------------------
# A local HTTP server we control: Range support, injected errors, truncation, ignoring Range.
# ------------------------------------------------------------------------------------------------


@dataclass
class ServerState:
    files: dict[str, bytes] = field(default_factory=dict)
    errors: dict[str, list[int]] = field(default_factory=dict)  # path -> status codes to answer first
    truncate: dict[str, int] = field(default_factory=dict)  # path -> how many answers to cut in half
    ignore_range: bool = False
    log: list[tuple[str, str | None, int]] = field(default_factory=list)  # (path, Range header, status)

    def requests(self, path: str) -> list[tuple[str, str | None, int]]:
        return [entry for entry in self.log if entry[0] == path]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: closing early = a truncated transfer

    def log_message(self, *args) -> None:  # keep pytest output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        state: ServerState = self.server.state  # type: ignore[attr-defined]
        range_header = self.headers.get("Range")
        pending = state.errors.get(self.path)
        if pending:
            code = pending.pop(0)
            state.log.append((self.path, range_header, code))
            self.send_error(code)
            return
        data = state.files.get(self.path)
        if data is None:
            state.log.append((self.path, range_header, 404))
            self.send_error(404)
            return
        start = 0
        if range_header and not state.ignore_range:
            start = int(range_header.removeprefix("bytes=").split("-")[0])
            if start >= len(data):
                state.log.append((self.path, range_header, 416))
                self.send_error(416)
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            status = 206
        else:
            self.send_response(200)
            status = 200
        state.log.append((self.path, range_header, status))
        body = data[start:]
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if state.truncate.get(self.path, 0) > 0:
            state.truncate[self.path] -= 1
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            return  # HTTP/1.0: the connection closes short of Content-Length
        self.wfile.write(body)


@pytest.fixture
def server():
    """(base URL, state) of a threaded HTTP server on 127.0.0.1."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.state = ServerState()  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", httpd.state  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch):
    """Retries wait ~0 s in tests, whatever backoff a call passes."""
    monkeypatch.setattr(fetching.time, "sleep", lambda seconds: None)


# ------------------------------------------------------------------------------------------------
# Archives and registries
# ------------------------------------------------------------------------------------------------

CYCLEGAN_FILES = {
    f"toyset/{split}/{i}.png": bytes([i, len(split)]) * 700
    for split in ("trainA", "trainB", "testA", "testB")
    for i in range(2)
}


def make_zip(files: dict[str, bytes], symlinks: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
        for name, target in (symlinks or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, target)
    return buffer.getvalue()


def make_tar(files: dict[str, bytes], links: dict[str, tuple[str, str]] | None = None) -> bytes:
    """A .tar.gz; ``links`` maps a member name to ("sym" | "hard", link target)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, (kind, target) in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE if kind == "sym" else tarfile.LNKTYPE
            info.linkname = target
            archive.addfile(info)
    return buffer.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_json(name: str, url: str, data: bytes, *, layout: str = "cyclegan", filename: str | None = None,
               extracts_to: str = "toyset", checksum: str | None | bool = True, **extra) -> dict:
    splits = ({s: s for s in ("trainA", "trainB", "testA", "testB")} if layout == "cyclegan"
              else {"train": "train"} if layout == "torchvision" else {})
    return {
        "name": name, "description": f"test dataset {name}", "layout": layout, "urls": [url],
        "filename": filename or url.rsplit("/", 1)[-1], "size": len(data),
        "sha256": sha(data) if checksum is True else (checksum or None),
        "extracts_to": extracts_to, "splits": splits, "licence": "test", "citation": "test",
        "source": "http://127.0.0.1/", **extra,
    }


def registry_of(*entries: dict):
    return parse_registry({"datasets": list(entries)})


def leftovers(root: Path) -> list[str]:
    """Everything under ``root`` but the download lock, the TOFU lock file and empty folders."""
    if not root.exists():
        return []
    ignored = {".download.lock", LOCK_NAME}
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")
                  if p.name not in ignored and not (p.is_dir() and not any(p.iterdir())))


# ------------------------------------------------------------------------------------------------
# The real registry
# ------------------------------------------------------------------------------------------------

def test_registry_file_entries_are_complete_and_unique():
    raw = json.loads(default_registry_path().read_text(encoding="utf-8"))["datasets"]
    names = [item["name"] for item in raw]
    assert len(names) == len(set(names))
    for item in raw:
        assert set(REQUIRED_FIELDS) <= set(item), item["name"]
    entries = load_registry()
    assert list(entries) == names
    assert {"cifar10", "stl10", "horse2zebra", "monet2photo", "summer2winter_yosemite", "apple2orange",
            "coco_val2017"} <= set(entries)
    for entry in entries.values():
        assert entry.layout in LAYOUTS and entry.size > 0 and entry.description and entry.licence
        assert entry.citation and entry.source.startswith("http")
        if entry.layout == "cyclegan":
            assert entry.urls[0] == f"https://efrosgans.eecs.berkeley.edu/cyclegan/datasets/{entry.name}.zip"
            assert entry.extracts_to == entry.name
        if entry.layout == "torchvision":
            assert entry.torchvision_class in dl.TORCHVISION_READERS and entry.md5
        if entry.sha256 is not None:
            assert entry.checksum_source  # every published checksum says where it was found


def test_registry_rejects_bad_entries():
    good = entry_json("a", "http://x/a.zip", b"data")
    with pytest.raises(DataError, match="appears twice"):
        registry_of(good, dict(good))
    with pytest.raises(DataError, match="missing field"):
        registry_of({k: v for k, v in good.items() if k != "sha256"})
    with pytest.raises(DataError, match="sha256"):
        registry_of({**good, "sha256": "abc"})
    with pytest.raises(DataError, match="extracts_to"):
        registry_of({**good, "extracts_to": "../up"})
    with pytest.raises(DataError, match="layout"):
        registry_of({**good, "layout": "pairs"})


# ------------------------------------------------------------------------------------------------
# Good downloads
# ------------------------------------------------------------------------------------------------

def test_download_zip_verifies_extracts_and_is_not_fetched_twice(server, tmp_path):
    base, state = server
    data = make_zip(CYCLEGAN_FILES)
    state.files["/toyset.zip"] = data
    registry = registry_of(entry_json("toyset", f"{base}/toyset.zip", data))

    path = download("toyset", root=tmp_path, progress=False, registry=registry)
    assert path == tmp_path / "toyset"
    assert (path / "trainA" / "1.png").read_bytes() == CYCLEGAN_FILES["toyset/trainA/1.png"]
    marker = read_marker(path)
    assert marker["sha256"] == sha(data) and marker["checksum"] == "published"
    assert dataset_path("toyset", "testB", root=tmp_path, registry=registry) == path / "testB"
    assert leftovers(tmp_path / "downloads") == []  # archive deleted, no .part
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".toyset")] == []

    requests = len(state.log)
    assert download("toyset", root=tmp_path, progress=False, registry=registry) == path
    assert len(state.log) == requests  # the marker says it is complete: no request at all
    assert list_datasets(tmp_path, registry=registry)[0].downloaded


def test_download_tar_gz_image_folder(server, tmp_path):
    base, state = server
    files = {"photos/a.jpg": b"A" * 3000, "photos/sub/b.jpg": b"B" * 10, "README": b"outside the root folder"}
    data = make_tar(files)
    state.files["/photos.tar.gz"] = data
    registry = registry_of(entry_json("photos", f"{base}/photos.tar.gz", data, layout="image-folder",
                                      extracts_to="photos"))
    path = download("photos", root=tmp_path, progress=False, registry=registry, keep_archive=True)
    assert (path / "sub" / "b.jpg").read_bytes() == b"B" * 10
    assert not (path / "README").exists() and not (tmp_path / "README").exists()
    assert (tmp_path / "downloads" / "photos.tar.gz").read_bytes() == data  # kept on request
    assert resolve_data("photos", root=tmp_path, registry=registry) == path
    assert resolve_data("./photos", registry=registry) == Path("./photos")


def test_truncated_transfer_resumes_with_range(server, tmp_path):
    base, state = server
    data = bytes(range(256)) * 400
    state.files["/big.bin.zip"] = data
    state.truncate["/big.bin.zip"] = 1
    got = fetch(f"{base}/big.bin.zip", tmp_path / "big.zip", len(data), sha(data), progress=False)
    assert got == sha(data) and (tmp_path / "big.zip").read_bytes() == data
    first, second = state.requests("/big.bin.zip")
    assert first[1] is None and first[2] == 200
    assert second[1] == f"bytes={len(data) // 2}-" and second[2] == 206
    assert not (tmp_path / "big.zip.part").exists()


def test_server_ignoring_range_restarts(server, tmp_path):
    base, state = server
    data = b"0123456789" * 5000
    state.files["/f.zip"] = data
    state.truncate["/f.zip"] = 1
    state.ignore_range = True
    assert fetch(f"{base}/f.zip", tmp_path / "f.zip", len(data), sha(data), progress=False) == sha(data)
    assert (tmp_path / "f.zip").read_bytes() == data
    second = state.requests("/f.zip")[1]
    assert second[1] is not None and second[2] == 200  # asked for a range, got the whole file again


def test_5xx_is_retried_then_succeeds(server, tmp_path):
    base, state = server
    data = b"x" * 1000
    state.files["/r.zip"] = data
    state.errors["/r.zip"] = [500, 503]
    assert fetch(f"{base}/r.zip", tmp_path / "r.zip", len(data), sha(data), progress=False,
                 retries=3, backoff=0.0) == sha(data)
    assert [status for _, _, status in state.requests("/r.zip")] == [500, 503, 200]


# ------------------------------------------------------------------------------------------------
# Failures leave nothing behind
# ------------------------------------------------------------------------------------------------

def test_wrong_checksum_is_rejected_and_deleted(server, tmp_path):
    base, state = server
    data = make_zip(CYCLEGAN_FILES)
    state.files["/toyset.zip"] = data
    wrong = "0" * 64
    registry = registry_of(entry_json("toyset", f"{base}/toyset.zip", data, checksum=wrong))
    with pytest.raises(ChecksumError) as info:
        download("toyset", root=tmp_path, progress=False, registry=registry)
    message = str(info.value)
    assert f"{base}/toyset.zip" in message and wrong in message and sha(data) in message
    assert "\n" not in message
    assert leftovers(tmp_path) == []


def test_persistent_500_and_404_fail_clearly(server, tmp_path):
    base, state = server
    data = make_zip(CYCLEGAN_FILES)
    state.files["/toyset.zip"] = data
    state.errors["/toyset.zip"] = [500] * 10
    registry = registry_of(entry_json("toyset", f"{base}/toyset.zip", data),
                           entry_json("gone", f"{base}/gone.zip", data))
    with pytest.raises(DownloadError, match=r"toyset\.zip: HTTP 500 .*gave up after 2 retries"):
        download("toyset", root=tmp_path, progress=False, retries=2, backoff=0.0, registry=registry)
    assert len(state.requests("/toyset.zip")) == 3
    with pytest.raises(DownloadError, match=r"gone\.zip: HTTP 404") as info:
        download("gone", root=tmp_path, progress=False, retries=5, registry=registry)
    assert len(state.requests("/gone.zip")) == 1  # a 404 is not retried
    assert isinstance(info.value, UserError) and "\n" not in str(info.value)
    assert leftovers(tmp_path) == []


def test_unreachable_server_fails_clearly(tmp_path):
    with pytest.raises(DownloadError, match="cannot connect"):
        fetch("http://127.0.0.1:9/x.zip", tmp_path / "x.zip", 10, None, progress=False, retries=1, timeout=2)
    assert leftovers(tmp_path) == []


def test_size_limits(server, tmp_path):
    base, state = server
    data = make_zip(CYCLEGAN_FILES)
    state.files["/toyset.zip"] = data
    registry = registry_of(entry_json("toyset", f"{base}/toyset.zip", data))
    with pytest.raises(DownloadError, match="more than the limit"):
        download("toyset", root=tmp_path, progress=False, max_bytes=100, registry=registry)
    assert state.log == []  # refused before asking the server
    # A server whose file is not the registry's size is refused without keeping anything.
    state.files["/toyset.zip"] = data + b"extra"
    with pytest.raises(DownloadError, match="server reports"):
        download("toyset", root=tmp_path, progress=False, registry=registry)
    assert leftovers(tmp_path) == []
    # The unpacked size limit.
    archive = tmp_path / "a.zip"
    archive.write_bytes(data)
    with pytest.raises(UnsafeArchiveError, match="more than the limit of 100 bytes"):
        safe_extract(archive, tmp_path / "out", max_total_bytes=100)
    assert not (tmp_path / "out").exists()


def test_zip_bomb_ratio_is_refused(tmp_path):
    archive = tmp_path / "bomb.zip"
    archive.write_bytes(make_zip({"zeros.bin": bytes(4 << 20)}))
    with pytest.raises(UnsafeArchiveError, match="zip bomb"):
        safe_extract(archive, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bomb.zip"]


OK = {"toyset/a.png": b"ok"}
MALICIOUS = {  # case -> (archive suffix, builder, expected reason)
    "dotdot-zip": ("zip", lambda: make_zip({**OK, "toyset/../../evil.txt": b"evil"}), r"\.\."),
    "dotdot-tar": ("tar.gz", lambda: make_tar({**OK, "../evil.txt": b"evil"}), r"\.\."),
    "absolute-zip": ("zip", lambda: make_zip({**OK, "/tmp/evil.txt": b"evil"}), "absolute"),
    "absolute-tar": ("tar.gz", lambda: make_tar({**OK, "/tmp/evil.txt": b"evil"}), "absolute"),
    "symlink-tar": ("tar.gz", lambda: make_tar(OK, {"toyset/link": ("sym", "../../outside")}),
                    "outside the folder"),
    "hardlink-tar": ("tar.gz", lambda: make_tar(OK, {"toyset/link": ("hard", "/etc/passwd")}), "hard link"),
    "symlink-zip": ("zip", lambda: make_zip(OK, {"toyset/link": "../../../outside"}), "outside the folder"),
}


@pytest.mark.parametrize("case", sorted(MALICIOUS))
def test_malicious_archives_are_refused_before_writing(server, tmp_path, case):
    suffix, build, reason = MALICIOUS[case]
    base, state = server
    data = build()
    state.files[f"/toyset.{suffix}"] = data
    root = tmp_path / "deep" / "root"
    registry = registry_of(entry_json("toyset", f"{base}/toyset.{suffix}", data, layout="image-folder"))
    with pytest.raises(UnsafeArchiveError, match=reason) as info:
        download("toyset", root=root, progress=False, registry=registry)
    assert "nothing was extracted" in str(info.value)
    assert leftovers(root) == []  # no target, no temp folder, and the hostile archive is deleted
    assert sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file()) == [
        "deep/root/.download.lock"]


# ------------------------------------------------------------------------------------------------
# Trust on first use, status, the command
# ------------------------------------------------------------------------------------------------

def test_trust_on_first_use_records_and_then_enforces(server, tmp_path):
    base, state = server
    data = make_zip(CYCLEGAN_FILES)
    state.files["/toyset.zip"] = data
    registry = registry_of(entry_json("toyset", f"{base}/toyset.zip", data, checksum=None))
    with pytest.warns(UnverifiedDownloadWarning, match="no published sha256"):
        path = download("toyset", root=tmp_path, progress=False, registry=registry)
    lock = json.loads((tmp_path / LOCK_NAME).read_text())
    assert lock["datasets"]["toyset"]["sha256"] == sha(data)
    assert read_marker(path)["checksum"] == "trust-on-first-use"

    # Later downloads must match what was recorded: a changed file of the same size is refused.
    import shutil
    shutil.rmtree(path)
    tampered = bytearray(data)
    tampered[-30] ^= 0xFF
    state.files["/toyset.zip"] = bytes(tampered)
    with pytest.raises(ChecksumError, match=f"expected {sha(data)}.*{LOCK_NAME}"):
        download("toyset", root=tmp_path, progress=False, registry=registry)
    assert leftovers(tmp_path) == []


def test_dataset_path_errors(tmp_path):
    registry = registry_of(entry_json("toyset", "http://127.0.0.1:9/toyset.zip", b"abc"))
    with pytest.raises(DataError, match=r"dataset toyset is not downloaded; run `gancolor download toyset"):
        dataset_path("toyset", root=tmp_path, registry=registry)
    with pytest.raises(DataError, match="unknown dataset 'nope'"):
        dataset_path("nope", root=tmp_path, registry=registry)
    (tmp_path / "toyset").mkdir()
    (tmp_path / "toyset" / MARKER_NAME).write_text("{}")
    with pytest.raises(DataError, match="no split 'train'"):
        dataset_path("toyset", "train", root=tmp_path, registry=registry)


def test_existing_incomplete_folder_is_not_overwritten(tmp_path):
    registry = registry_of(entry_json("toyset", "http://127.0.0.1:9/toyset.zip", b"abc"))
    (tmp_path / "toyset").mkdir()
    (tmp_path / "toyset" / "mine.txt").write_text("user data")
    with pytest.raises(DataError, match="not a complete download"):
        download("toyset", root=tmp_path, progress=False, registry=registry)
    assert (tmp_path / "toyset" / "mine.txt").read_text() == "user data"


def test_torchvision_layout_exports_png_folders(server, tmp_path, monkeypatch):
    base, state = server
    data = make_tar({"fake-batches/data.bin": b"\0" * 100})
    state.files["/fake.tar.gz"] = data
    registry = registry_of(entry_json("fakeset", f"{base}/fake.tar.gz", data, layout="torchvision",
                                      extracts_to="fake-batches", torchvision_class="FAKE"))
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(5, 8, 8, 3), dtype=np.uint8)

    def reader(root: Path, split: str):
        assert (root / "fake-batches" / "data.bin").is_file()  # the archive was unpacked for the reader
        return images, np.array([0, 1, 0, 1, 1]), ["cat", "dog/x"]

    monkeypatch.setitem(dl.TORCHVISION_READERS, "FAKE", reader)
    path = download("fakeset", root=tmp_path, progress=False, registry=registry)
    train = dataset_path("fakeset", "train", root=tmp_path, registry=registry)
    assert sorted(p.name for p in train.iterdir()) == ["cat", "dog_x"]
    from gancolor.imageio import read_rgb

    assert np.array_equal(read_rgb(train / "dog_x" / "000001.png"), images[1])
    assert read_marker(path)["layout"] == "torchvision"
    assert leftovers(tmp_path / "downloads") == [] and not list(tmp_path.glob(".fakeset.*"))


def test_download_command(server, tmp_path, capsys):
    base, state = server
    data = make_zip(CYCLEGAN_FILES)
    state.files["/toyset.zip"] = data
    registry = registry_of(entry_json("toyset", f"{base}/toyset.zip", data))
    assert download_command([], tmp_path, list_only=True, registry=registry) == 0
    assert "not downloaded" in capsys.readouterr().out
    assert download_command(["toyset"], tmp_path, progress=False, registry=registry) == 0
    out = capsys.readouterr().out
    assert f"ready in {tmp_path / 'toyset'}" in out and "sha256 verified" in out
    assert download_command(["toyset"], tmp_path, registry=registry) == 0
    assert "already downloaded" in capsys.readouterr().out
    with pytest.raises(DataError, match="unknown dataset"):
        download_command(["toyset", "nope"], tmp_path, registry=registry)
    with pytest.raises(DataError, match="--list"):
        download_command([], tmp_path, registry=registry)


def _png(seed: int, size: int = 24) -> bytes:
    from PIL import Image

    pixels = np.random.default_rng(seed).integers(0, 256, (size, size, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def test_downloaded_dataset_trains_by_name_from_the_cli(server, tmp_path, monkeypatch, capsys):
    """`gancolor download NAME` then `gancolor train cyclegan --data NAME`, as a user would run them."""
    import gancolor.data.registry as registry_module
    from gancolor.cli import main

    base, state = server
    files = {f"toyset/{split}/{i}.png": _png(10 * len(split) + i)
             for split in ("trainA", "trainB", "testA", "testB") for i in range(3)}
    data = make_zip(files)
    state.files["/toyset.zip"] = data
    registry_file = tmp_path / "registry.json"
    registry_file.write_text(json.dumps({"datasets": [entry_json("toyset", f"{base}/toyset.zip", data)]}))
    monkeypatch.setattr(registry_module, "default_registry_path", lambda: registry_file)
    monkeypatch.setenv("GANCOLOR_CACHE", str(tmp_path / "cache"))

    assert main(["train", "cyclegan", "--data", "toyset", "--out", str(tmp_path / "r0"), "--steps", "1"]) == 1
    assert "gancolor download toyset" in capsys.readouterr().err  # not downloaded yet: says what to run
    assert main(["download", "toyset"]) == 0
    assert "sha256 verified" in capsys.readouterr().out
    run = tmp_path / "run"
    tiny = ["train", "cyclegan", "--data", "toyset", "--out", str(run), "--steps", "2", "--width", "8",
            "--blocks", "1", "--checkpoint-every", "1", "--image-size"]
    assert main(tiny + ["16"]) == 1  # too small for the 70 x 70 PatchGAN: one line, nothing written
    err = capsys.readouterr().err
    assert "image_size 16 is too small" in err and err.count("\n") == 1 and not run.exists()
    assert main(tiny + ["24"]) == 0
    assert (run / "stylizer.pt").is_file()
    assert "toyset" in capsys.readouterr().out
    from gancolor.infer.stylizer import load_stylizer

    assert load_stylizer(run / "stylizer.pt").meta["steps"] == 2


# ------------------------------------------------------------------------------------------------
# gancolor download inception: pytorch-fid's weights, where FID looks for them
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def fake_inception(server, tmp_path, monkeypatch):
    """The Inception download pointed at the local server (fake bytes, their sha256), and torch's
    hub folder (where FID looks) in ``tmp_path``; returns (state, bytes, the served path)."""
    from gancolor.metrics import inception_download

    base, state = server
    data = b"not really Inception" * 1000
    served = "/fid_weights/" + inception_download.INCEPTION.filename
    state.files[served] = data
    fake = inception_download.WeightsFile(filename=inception_download.INCEPTION.filename,
                                          urls=(base + served,), sha256=sha(data), size=len(data),
                                          description="test weights")
    monkeypatch.setattr(inception_download, "INCEPTION", fake)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("GANCOLOR_INCEPTION_WEIGHTS", raising=False)
    return state, data, served


def test_download_inception_puts_the_weights_where_fid_looks(fake_inception, tmp_path, capsys):
    from gancolor.cli import main
    from gancolor.errors import MissingWeightsError
    from gancolor.metrics import inception_weights_path

    state, data, served = fake_inception
    with pytest.raises(MissingWeightsError, match="run `gancolor download inception`"):
        inception_weights_path()
    assert main(["download", "--list"]) == 0
    assert "inception" in capsys.readouterr().out
    assert main(["download", "inception"]) == 0
    out = capsys.readouterr().out
    target = tmp_path / "torch" / "hub" / "checkpoints" / "pt_inception-2015-12-05-6726825d.pth"
    assert f"to {target}" in out and f"inception: ready in {target} (sha256 verified)" in out
    assert target.read_bytes() == data and inception_weights_path() == target
    assert main(["download", "inception"]) == 0  # already there: nothing fetched
    assert "inception: already downloaded" in capsys.readouterr().out
    assert len(state.requests(served)) == 1


def test_download_inception_honours_the_environment_variable(fake_inception, tmp_path, monkeypatch):
    from gancolor.commands.download import download_command
    from gancolor.metrics import inception_weights_path

    _, data, _ = fake_inception
    chosen = tmp_path / "weights" / "inception.pth"
    monkeypatch.setenv("GANCOLOR_INCEPTION_WEIGHTS", str(chosen))
    assert download_command(["inception"], progress=False) == 0
    assert chosen.read_bytes() == data and inception_weights_path() == chosen


def test_download_inception_refuses_a_wrong_file_and_fails_in_one_line_offline(fake_inception, tmp_path,
                                                                               monkeypatch, capsys):
    from gancolor.cli import main
    from gancolor.metrics import inception_download

    state, data, served = fake_inception
    state.files[served] = b"x" * len(data)  # the right size, the wrong bytes
    assert main(["download", "inception"]) == 1
    err = capsys.readouterr().err
    assert "sha256 mismatch" in err and err.count("\n") == 1
    assert not (tmp_path / "torch" / "hub" / "checkpoints").exists() or not any(
        (tmp_path / "torch" / "hub" / "checkpoints").iterdir())
    offline = inception_download.WeightsFile(**{**inception_download.INCEPTION.__dict__,
                                                "urls": ("http://127.0.0.1:9/nothing.pth",)})
    monkeypatch.setattr(inception_download, "INCEPTION", offline)
    assert main(["download", "inception"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gancolor: error: http://127.0.0.1:9/nothing.pth: ") and err.count("\n") == 1


def test_the_published_inception_checksum_matches_the_file_name():
    """torch.hub names a weights file after the first digits of its sha256: pytorch-fid's too."""
    from gancolor.metrics.fid import INCEPTION_WEIGHTS_URL
    from gancolor.metrics.inception_download import INCEPTION

    prefix = INCEPTION.filename.rsplit("-", 1)[1].removesuffix(".pth")
    assert INCEPTION.sha256.startswith(prefix) and len(INCEPTION.sha256) == 64
    assert INCEPTION.urls == (INCEPTION_WEIGHTS_URL,)
