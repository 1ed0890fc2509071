"""The fault suite: a full disk, kills during writes, two trainings into one folder, hostile options,
hint files and archives. Each test asserts the exact outcome: the exit status, the one line, and
that no earlier file changed (issue 11: nothing lost, no tracebacks, bounded time and memory).

The disk is filled by injection (a write that fails or comes out short), so the suite runs the
same as root or not and needs no tmpfs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import smooth_photo
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

import gancolor.io_utils as io_utils
from gancolor import imageio
from gancolor.cli import build_parser, main
from gancolor.commands.files import convert_files
from gancolor.data import hint_maps
from gancolor.data.download import DataError, DownloadError, fetch, safe_extract
from gancolor.errors import FolderInUseError, UserError, WriteError
from gancolor.imageio import read_rgb, write_image
from gancolor.infer.user_hints import MAX_HINTS, Hint, hints_to_maps, load_hints_json
from gancolor.io_utils import atomic_torch_save, atomic_write, atomic_write_json, clean_stale_temporaries
from gancolor.train.out_dir import LOCK_NAME, claim_out_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
ENOSPC = OSError(28, "No space left on device")
TINY_TRAIN = ["train", "colorize", "--data", "embedded", "--image-size", "32", "--batch-size", "2",
              "--width", "8", "--depth", "3", "--l1-only", "--steps", "2", "--checkpoint-every", "1"]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    """A folder holding a finished tiny training run (checkpoint, history, model, curves)."""
    run = tmp_path_factory.mktemp("finished") / "run"
    assert main(TINY_TRAIN + ["--out", str(run)]) == 0
    return run


@pytest.fixture
def run_copy(finished_run, tmp_path) -> Path:
    """A copy of :func:`finished_run` that a test may change."""
    return Path(shutil.copytree(finished_run, tmp_path / "run"))


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (relative path -> bytes), to show that nothing changed."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in files}


def error_lines(text: str) -> list[str]:
    """The lines of ``text`` (stderr of a command) without progress bars; fails on a traceback."""
    assert "Traceback" not in text, text
    return [line for line in re.split(r"[\r\n]", text) if line.strip() and "%|" not in line]


def one_line(text: str) -> str:
    """The only line of ``text`` (stderr of a failed command, progress bars left out)."""
    lines = error_lines(text)
    assert len(lines) == 1, text
    return lines[0]


def photo_file(path: Path, seed: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(smooth_photo(24, 16, seed)).save(path)
    return path


# ---------------------------------------------------------------------------------------------
# A full disk: the old file stays, no temporary file is left, one line


def short_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every PIL save come out cut in half without an error, as a full disk does under the
    JPEG, BMP and TIFF encoders."""
    save = Image.Image.save

    def cut_short(self: Image.Image, fp: object, *args: object, **kwargs: object) -> None:
        save(self, fp, *args, **kwargs)
        if isinstance(fp, (str, os.PathLike)):  # a file, not an in-memory buffer
            os.truncate(fp, os.path.getsize(fp) // 2)

    monkeypatch.setattr(Image.Image, "save", cut_short)


@pytest.fixture
def small_disk(tmp_path):
    """A real 256 KB file system (tmpfs), mounted for the test: the disk that fills. Needs root
    (CI and this project's machines run as root); elsewhere the injected failures below cover it."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; the injected full-disk tests still run")
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                      capture_output=True).returncode:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.mark.parametrize("ext", [".jpg", ".png", ".tif"])
def test_a_real_full_disk_keeps_the_old_output_and_says_so(small_disk, tmp_path, capsys, ext):
    noise = np.random.default_rng(0).integers(0, 256, (700, 700, 3), dtype=np.uint8)  # ~1 MB encoded
    source = tmp_path / f"photo{ext}"
    Image.fromarray(noise).save(source, quality=95) if ext == ".jpg" else Image.fromarray(noise).save(source)
    out = small_disk / "out"
    photo_file(out / f"photo{ext}", seed=3)  # the earlier result, small
    before = snapshot(small_disk)
    assert main(["colorize", str(source), "-o", str(out)]) == 1
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"gancolor: error: {out / f'photo{ext}'}: cannot write"), line
    assert "No space left on device" in line, line
    assert snapshot(small_disk) == before  # the old output, and no temporary file


@pytest.mark.parametrize("ext", [".jpg", ".bmp", ".tif", ".png", ".webp", ".gif"])
def test_a_silently_short_image_write_never_replaces_the_old_file(tmp_path, monkeypatch, ext):
    target = tmp_path / f"out{ext}"
    write_image(target, smooth_photo(40, 30, 1))
    before = snapshot(tmp_path)
    short_writes(monkeypatch)
    with pytest.raises(WriteError) as info:
        write_image(target, smooth_photo(40, 30, 2))
    assert str(info.value).startswith(f"{target}: cannot write (the written file failed its check")
    assert "\n" not in str(info.value)
    assert snapshot(tmp_path) == before  # the old image, and no temporary file


def test_fsync_failing_on_a_full_disk_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "history.json"
    atomic_write_json(target, {"steps": [1, 2]})
    before = snapshot(tmp_path)
    monkeypatch.setattr(io_utils.os, "fsync", lambda fd: (_ for _ in ()).throw(ENOSPC))
    for write in (lambda: atomic_write_json(target, {"steps": [3]}),
                  lambda: write_image(tmp_path / "history.png", smooth_photo(8, 8)),
                  lambda: atomic_torch_save({"x": torch.zeros(3)}, tmp_path / "history.json")):
        with pytest.raises(WriteError, match="No space left on device") as info:
            write()
        assert "\n" not in str(info.value)
    assert snapshot(tmp_path) == before


def test_torch_save_failing_midway_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    target = tmp_path / "checkpoint.pt"
    atomic_torch_save({"step": 1}, target)
    before = snapshot(tmp_path)

    def failing_save(obj: object, f: object) -> None:
        Path(f).write_bytes(b"PK half a zip")  # type: ignore[arg-type]
        raise RuntimeError("[enforce fail at inline_container.cc:603] . PytorchStreamWriter failed writing "
                           "file data/0: file write failed")

    monkeypatch.setattr(torch, "save", failing_save)
    with pytest.raises(WriteError, match=f"^{target}: cannot write") as info:
        atomic_torch_save({"step": 2}, target)
    assert "\n" not in str(info.value)
    assert snapshot(tmp_path) == before


def test_colorize_on_a_full_disk_exits_1_with_one_line_per_file_and_keeps_old_outputs(
        tmp_path, monkeypatch, capsys):
    inputs = tmp_path / "in"
    photo_file(inputs / "a.png")
    out = tmp_path / "out"
    assert convert_files([str(inputs)], out, lambda rgb: rgb, verb="colorized") == 0
    before = snapshot(out)
    capsys.readouterr()
    monkeypatch.setattr(io_utils.os, "fsync", lambda fd: (_ for _ in ()).throw(ENOSPC))
    assert convert_files([str(inputs)], out, lambda rgb: 255 - rgb, verb="colorized") == 1
    err = capsys.readouterr().err
    assert one_line(err) == (f"gancolor: error: {out / 'a.png'}: cannot write (No space left on device); "
                             f"the previous file, if any, is unchanged")
    assert snapshot(out) == before


def test_training_on_a_full_disk_stops_with_one_line_and_keeps_the_checkpoint(run_copy, monkeypatch, capsys):
    run = run_copy
    before = snapshot(run)
    capsys.readouterr()
    def failing_save(obj: object, f: object) -> None:
        raise RuntimeError("file write failed")

    monkeypatch.setattr(torch, "save", failing_save)
    resume = TINY_TRAIN[:-4] + ["--steps", "4", "--checkpoint-every", "1", "--resume", "--out", str(run)]
    assert main(resume) == 1
    assert one_line(capsys.readouterr().err) == (
        f"gancolor: error: {run / 'checkpoint.pt'}: cannot write (file write failed); the previous file, "
        "if any, is unchanged")
    assert snapshot(run) == before


# ---------------------------------------------------------------------------------------------
# Kills during a write; temporary files of dead processes are cleaned at the next start

_KILLED_WRITER = """
import sys, time
from gancolor.io_utils import atomic_write
with atomic_write(sys.argv[1]) as tmp:
    tmp.write_bytes(b"half of the new")
    print("writing", flush=True)
    time.sleep(60)
"""


def test_a_kill_during_a_write_keeps_the_old_file_and_the_leftover_is_cleaned(tmp_path):
    target = tmp_path / "checkpoint.pt"
    target.write_bytes(b"the old checkpoint")
    writer = subprocess.Popen([sys.executable, "-c", _KILLED_WRITER, str(target)], stdout=subprocess.PIPE,
                              text=True, cwd=REPO_ROOT)
    try:
        assert writer.stdout.readline().strip() == "writing"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    assert target.read_bytes() == b"the old checkpoint"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "checkpoint.pt"]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".checkpoint.pt.tmp-{writer.pid}-")
    (tmp_path / ".losses.png.tmp-abcd1234.png").write_bytes(b"left by an older version")
    alive = tmp_path / f".history.json.tmp-{os.getpid()}-abcd1234.json"
    alive.write_bytes(b"being written by a live process")
    with claim_out_dir(tmp_path, resume=True):  # the next training in the folder cleans up
        pass
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([alive.name, LOCK_NAME, "checkpoint.pt"])
    assert clean_stale_temporaries(tmp_path) == []  # the live process's file stays


# ---------------------------------------------------------------------------------------------
# train --out: never wipe a run, one training at a time


def test_train_refuses_an_out_folder_holding_a_run_unless_resume_or_overwrite(run_copy, capsys):
    run = run_copy
    before = snapshot(run)
    capsys.readouterr()
    assert main(TINY_TRAIN + ["--out", str(run)]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"gancolor: error: {run}: already holds a training run (checkpoint.pt, history.json, colorizer.pt); "
        "pass --resume to continue it or --overwrite to replace it (or choose another --out)")
    assert snapshot(run) == before
    assert main(TINY_TRAIN + ["--out", str(run), "--resume", "--overwrite"]) == 1
    assert "give one of them" in one_line(capsys.readouterr().err)
    assert snapshot(run) == before
    assert main(TINY_TRAIN + ["--out", str(run), "--overwrite"]) == 0
    assert json.loads((run / "history.json").read_text())["steps"] == [0, 1]


def test_a_second_training_into_the_same_out_gets_one_line_naming_the_first(tmp_path, capsys):
    run = tmp_path / "run"
    first = subprocess.Popen([sys.executable, "-m", "gancolor", *TINY_TRAIN[:-4], "--steps", "100000",
                              "--checkpoint-every", "100000", "--out", str(run)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO_ROOT,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.monotonic() + 60
        while not ((run / LOCK_NAME).is_file() and (run / LOCK_NAME).read_text().strip() == str(first.pid)):
            assert first.poll() is None and time.monotonic() < deadline, "the first training did not start"
            time.sleep(0.1)
        before = snapshot(run)
        assert main(TINY_TRAIN + ["--out", str(run)]) == 1
        assert one_line(capsys.readouterr().err) == (
            f"gancolor: error: {run}: another training (pid {first.pid}) is writing into this folder; "
            "wait for it to end or choose another --out")
        assert snapshot(run) == before
    finally:
        first.kill()
        first.wait(timeout=30)
    with claim_out_dir(run):  # the kernel released the lock of the killed process
        pass


def test_the_lock_is_per_folder_and_released_when_the_block_ends(tmp_path):
    with claim_out_dir(tmp_path / "a"):
        with pytest.raises(FolderInUseError, match=f"pid {os.getpid()}"):
            with claim_out_dir(tmp_path / "a"):
                pass
        with claim_out_dir(tmp_path / "b"):
            pass
    with claim_out_dir(tmp_path / "a"):
        pass


def test_an_out_that_is_a_file_is_one_line(tmp_path):
    (tmp_path / "run").write_text("not a folder")
    with pytest.raises(UserError, match="is a file, not a folder"):
        with claim_out_dir(tmp_path / "run"):
            pass


# ---------------------------------------------------------------------------------------------
# colorize DIR -o DIR: outputs never replace inputs or each other


def test_outputs_never_overwrite_inputs_or_each_other(tmp_path, capsys):
    folder = tmp_path / "photos"
    for name in ("x.png", "x.jpg", "y.bmp"):
        photo_file(folder / name)
    Image.fromarray(smooth_photo(24, 16, 3)).convert("P").save(folder / "x.gif")
    photo_file(folder / "x-gif.png", seed=4)  # even the renamed output's name is taken
    before = snapshot(folder)
    status = convert_files([str(folder)], folder, lambda rgb: 255 - rgb, verb="colorized")
    err = error_lines(capsys.readouterr().err)
    assert status == 1
    refused = ("x-gif.png", "x.jpg", "x.png", "y.bmp")
    assert sorted(err) == sorted(f"gancolor: error: {folder / name}: output would overwrite the input; "
                                 "choose another -o folder" for name in refused)
    after = snapshot(folder)
    assert {name: after[name] for name in before} == before  # no input changed
    assert set(after) - set(before) == {"x-gif-2.png"}  # x.gif's output
    out = tmp_path / "out"
    assert convert_files([str(folder)], out, lambda rgb: rgb, verb="colorized") == 0
    assert sorted(p.name for p in out.iterdir()) == ["x-gif-2.png", "x-gif-3.png", "x-gif.png", "x.jpg",
                                                     "x.png", "y.bmp"]  # x.gif -> x-gif-3.png


def test_a_symlink_loop_and_a_huge_image_are_reported_and_the_batch_goes_on(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "photos"
    photo_file(folder / "a.png")
    photo_file(folder / "c.png")
    (folder / "b.png").symlink_to(folder / "b.png")  # a loop
    (folder / "sub").symlink_to(folder)  # a folder loop: not followed
    Image.new("1", (12000, 12000)).save(folder / "huge.png")  # 144 megapixels in a small file
    out = tmp_path / "out"
    assert convert_files([str(folder)], out, lambda rgb: rgb, verb="colorized") == 1
    captured = capsys.readouterr()
    assert error_lines(captured.err) == [
        f"gancolor: error: {folder / 'b.png'}: broken symbolic link (or a loop of links)",
        f"gancolor: error: {folder / 'huge.png'}: image is 12000x12000 = 144 megapixels, more than the "
        f"limit of 100 megapixels"]
    assert sorted(p.name for p in out.iterdir()) == ["a.png", "c.png"]
    assert "colorized 2 of 4 image(s)" in captured.out


def test_an_unexpected_failure_in_one_file_does_not_stop_the_batch(tmp_path, capsys):
    folder = tmp_path / "photos"
    photo_file(folder / "a.png")
    photo_file(folder / "b.png", seed=1)

    calls = []

    def convert(rgb: np.ndarray) -> np.ndarray:
        calls.append(1)
        if len(calls) == 1:  # the first file, a.png
            raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 1 TB")
        return rgb

    assert convert_files([str(folder)], tmp_path / "out", convert, verb="colorized") == 1
    assert one_line(capsys.readouterr().err) == (
        f"gancolor: error: {folder / 'a.png'}: failed (RuntimeError: DefaultCPUAllocator: not enough memory: "
        "you tried to allocate 1 TB)")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["b.png"]


# ---------------------------------------------------------------------------------------------
# Options: every bad value is one line and exit status 2, before any work


BAD_OPTIONS = [
    (["train", "colorize", "--out", "R", "--steps", "0"], "--steps: must be a whole number from 1"),
    (["train", "colorize", "--out", "R", "--steps", "-3"], "--steps: must be a whole number from 1"),
    (["train", "colorize", "--out", "R", "--steps", "1e9"], "--steps: must be a whole number"),
    (["train", "colorize", "--out", "R", "--steps", "9" * 400], "--steps: must be a whole number"),
    (["train", "colorize", "--out", "R", "--image-size", "0"], "--image-size: must be a whole number from"),
    (["train", "colorize", "--out", "R", "--batch-size", "1000000000"], "--batch-size: must be"),
    (["train", "colorize", "--out", "R", "--batch-size", "1e9"], "--batch-size: must be"),
    (["train", "colorize", "--out", "R", "--checkpoint-every", "0"], "--checkpoint-every: must be"),
    (["train", "colorize", "--out", "R", "--lr", "0"], "--lr: must be a number in (0, 10]"),
    (["train", "colorize", "--out", "R", "--lr", "nan"], "--lr: must be a number"),
    (["train", "colorize", "--out", "R", "--lr", "inf"], "--lr: must be a number"),
    (["train", "colorize", "--out", "R", "--seed", "-1"], "--seed: must be a whole number from 0"),
    (["train", "colorize", "--out", "R", "--width", "0"], "--width: must be"),
    (["train", "colorize", "--out", "R", "--depth", "99"], "--depth: must be"),
    (["train", "colorize", "--out", "R", "--lambda-l1", "-1"], "--lambda-l1: must be"),
    (["train", "colorize", "--out", "R", "--device", "foo"], "--device: unknown device 'foo'"),
    (["train", "cyclegan", "--out", "R", "--blocks", "0"], "--blocks: must be"),
    (["train", "multitask", "--out", "R", "--style-weight", "nan"], "--style-weight: must be"),
    (["colorize", "x.png", "-o", "O", "--size", "0"], "--size: must be a whole number from 16"),
    (["colorize", "x.png", "-o", "O", "--size", "-5"], "--size: must be"),
    (["colorize", "x.png", "-o", "O", "--size", "99999999"], "--size: must be"),
    (["colorize", "x.png", "-o", "O", "--device", "cuda:0"], "--device: device 'cuda:0'"),
    (["stylize", "x.png", "-o", "O", "--size", "abc"], "--size: must be"),
    (["evaluate", "--size", "0"], "--size: must be"),
    (["evaluate", "--hints", "-1"], "--hints: must be"),
    (["demo", "--out", "x.xyz"], "--out: x.xyz: unknown image extension '.xyz'"),
    (["demo", "--rows", "0"], "--rows: must be"),
]


@pytest.mark.parametrize("argv, reason", BAD_OPTIONS, ids=[" ".join(a[:2] + a[-2:]) for a, _ in BAD_OPTIONS])
def test_bad_option_values_are_one_line_before_any_work(tmp_path, monkeypatch, capsys, argv, reason):
    if "cuda" in " ".join(argv) and torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith("gancolor") and f"argument {reason}" in line, line
    assert list(tmp_path.iterdir()) == []  # nothing written


def _options():
    """(sub-command words, option string, its action) for every option of every command."""
    found = []

    def walk(parser, words):
        for action in parser._actions:
            if action.choices and isinstance(action.choices, dict):  # sub-commands
                for name, sub in action.choices.items():
                    walk(sub, words + [name])
            elif action.option_strings and action.nargs != 0 and action.dest != "help":
                found.append((words, action.option_strings[-1], action))

    walk(build_parser(), [])
    return found


@pytest.mark.parametrize("value", ["0", "-1", "1e400", "9" * 50, "abc", "", "nan"])
def test_every_option_with_a_hostile_value_parses_or_fails_on_one_line(capsys, value):
    for words, option, action in _options():
        needs = {"train": ["--out", "R"], "colorize": ["x", "-o", "O"], "stylize": ["x", "-o", "O"]}
        extra = needs.get(words[0], [])
        if option in ("--out", "-o"):
            extra = ["x"] if words[0] in ("colorize", "stylize") else []
        nargs = action.nargs if isinstance(action.nargs, int) else 1
        try:
            build_parser().parse_args(words + extra + [option] + [value] * nargs)
        except SystemExit as exit_:
            assert exit_.code == 2
            one_line(capsys.readouterr().err)


# ---------------------------------------------------------------------------------------------
# Hint files: fuzzed, and bounded in time


def _hint_check(path: Path) -> None:
    """Loading and applying ``path`` gives hints and maps, or one-line UserErrors; nothing else."""
    try:
        hints = load_hints_json(path)
    except UserError as error:
        assert "\n" not in str(error) and str(error).startswith(f"{path}: ") and len(str(error)) < 400
        return
    assert len(hints) <= MAX_HINTS
    try:
        hint_ab, mask = hints_to_maps(hints, 16, 24, source_size=(32, 48))
    except UserError as error:
        assert "\n" not in str(error)
        return
    assert hint_ab.shape == (1, 2, 16, 24) and mask.shape == (1, 1, 16, 24)
    assert torch.isfinite(hint_ab).all() and set(mask.unique().tolist()) <= {0.0, 1.0}


_numbers = st.one_of(st.integers(min_value=-10**400, max_value=10**400), st.floats(allow_nan=True),
                     st.sampled_from([0, 1, 1e30, -1e30, 10**400, 1e308]))
_colors = st.one_of(st.text(max_size=10), st.lists(_numbers, max_size=4),
                    st.sampled_from(["#fff", "#00ff00"]))
_json = st.recursive(st.none() | st.booleans() | _numbers | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                               max_size=4), max_leaves=20)
_hint = st.fixed_dictionaries({"x": _numbers, "y": _numbers, "color": _colors},
                              optional={"size": st.one_of(_numbers, st.none()), "extra": _json})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(st.lists(_hint, max_size=6), _json))
def test_fuzzed_hint_files_give_hints_or_one_line(tmp_path, data):
    path = tmp_path / "hints.json"
    path.write_text(json.dumps(data, allow_nan=True))
    _hint_check(path)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=200))
def test_fuzzed_hint_bytes_give_one_line(tmp_path, raw):
    path = tmp_path / "hints.json"
    path.write_bytes(raw)
    _hint_check(path)


@pytest.mark.parametrize("text, reason", [
    ('[{"x": ' + "9" * 400 + ', "y": 1, "color": "#fff"}]', "x must be a finite number; got 99999"),
    ('[{"x": ' + "9" * 5000 + ', "y": 1, "color": "#fff"}]', "not valid JSON (Exceeds the limit"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('[{"x": 1, "y": 1, "color": "#fff", "size": 1e400}]', "size must be a finite number; got inf"),
    ('[{"x": 1, "y": 1, "color": [1e400, 0, 0]}]', "bad color"),
])
def test_hostile_hint_files_are_one_line(tmp_path, text, reason):
    path = tmp_path / "hints.json"
    path.write_text(text)
    with pytest.raises(UserError) as info:
        load_hints_json(path)
    assert reason in str(info.value) and "\n" not in str(info.value) and len(str(info.value)) < 300


def test_ten_thousand_huge_hints_take_well_under_a_few_seconds_and_more_are_refused(tmp_path):
    hints = [Hint(x=float(i % 40), y=float(i % 30), ab=(20.0, -30.0), size=1e30) for i in range(MAX_HINTS)]
    started = time.perf_counter()
    hint_ab, mask = hints_to_maps(hints, 64, 64, source_size=(30, 40))
    assert time.perf_counter() - started < 10 and bool(mask.all())
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"x": 1, "y": 1, "color": "#fff"}] * (MAX_HINTS + 1)))
    with pytest.raises(UserError, match=f"10,001 hints; a hint file holds at most {MAX_HINTS:,}"):
        load_hints_json(path)
    with pytest.raises(UserError, match="at most 10,000 hints per photo"):
        hints_to_maps(hints + hints[:1], 8, 8)


def test_painting_hints_matches_the_per_pixel_definition():
    generator = torch.Generator().manual_seed(0)
    n, k, h, w = 3, 7, 11, 13
    colors = torch.rand(n, k, 2, generator=generator)
    tops = torch.randint(-3, h, (n, k), generator=generator)
    lefts = torch.randint(-3, w, (n, k), generator=generator)
    sizes = torch.randint(1, 6, (n, k), generator=generator)
    active = torch.rand(n, k, generator=generator) < 0.7
    hint_ab, mask = hint_maps.paint_patches(colors, tops, lefts, sizes, active, h, w)
    expected_ab, expected_mask = torch.zeros(n, 2, h, w), torch.zeros(n, 1, h, w)
    for i in range(n):
        for j in range(k):
            for r in range(h):
                for c in range(w):
                    if active[i, j] and tops[i, j] <= r < tops[i, j] + sizes[i, j] and \
                            lefts[i, j] <= c < lefts[i, j] + sizes[i, j]:
                        expected_ab[i, :, r, c], expected_mask[i, 0, r, c] = colors[i, j], 1.0
    assert torch.equal(hint_ab, expected_ab) and torch.equal(mask, expected_mask)


# ---------------------------------------------------------------------------------------------
# Training checkpoints with fields of the wrong type: one line on resume


@pytest.fixture(scope="module")
def toy_trainer_and_checkpoint(tmp_path_factory):
    """A tiny L1-only colorization trainer and a real checkpoint of it (loaded, as a dict)."""
    from gancolor.train import ColorizationTrainer, ColorizeConfig, History, save_training_checkpoint
    from gancolor.train.checkpoint import load_training_checkpoint

    seeded = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (4, 3, 16, 16), dtype=torch.uint8, generator=seeded)
    trainer = ColorizationTrainer(ColorizeConfig(image_size=16, batch_size=2, width=4, depth=2, l1_only=True),
                                  images, device="cpu")
    path = tmp_path_factory.mktemp("checkpoint") / "checkpoint.pt"
    save_training_checkpoint(path, trainer, 0, History())
    return trainer, load_training_checkpoint(path)


_values = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70), st.floats(),
                    st.text(max_size=8), st.lists(st.integers(), max_size=3),
                    st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=3))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["format_version", "task", "config", "step", "history", "modules", "optimizers",
                              "schedulers", "rng", "extra", "history.steps", "history.losses", "rng.torch",
                              "modules.G", "history.seconds"]),
       value=_values)
def test_checkpoints_with_fields_of_the_wrong_type_are_one_line(tmp_path, toy_trainer_and_checkpoint, field,
                                                                 value):
    from gancolor.errors import CheckpointError
    from gancolor.train.checkpoint import load_training_checkpoint, restore_training_state

    trainer, good = toy_trainer_and_checkpoint
    broken = {**good, "history": dict(good["history"]), "rng": dict(good["rng"]),
              "modules": dict(good["modules"])}
    where, _, key = field.partition(".")
    if key:
        broken[where][key] = value
    else:
        broken[where] = value
    path = tmp_path / "checkpoint.pt"
    torch.save(broken, path)
    try:
        restore_training_state(trainer, load_training_checkpoint(path), path)
    except CheckpointError as error:
        assert str(error).startswith(f"{path}: ") and "\n" not in str(error) and len(str(error)) < 400


@pytest.fixture(scope="module")
def tiny_colorizer_files(tmp_path_factory) -> dict[str, dict]:
    """The contents of three small, valid colorizer files: plain, classification, hints with a prior."""
    from gancolor.ab_classes import gamut_bins
    from gancolor.model_files import generator_record
    from gancolor.models import UNetGenerator

    def record(**options: object) -> dict:
        return generator_record(UNetGenerator(width=4, depth=2, max_width=8, **options))

    return {
        "plain": {"generator": record(), "inputs": ["L"], "inference_size": 32, "mode": "l1"},
        "classify": {"generator": record(out_channels=len(gamut_bins()), output="logits"), "mode": "classify",
                     "decode": {"temperature": 0.38, "bins": gamut_bins()}},
        "prior": {"generator": record(in_channels=6, output="residual"), "mode": "l1",
                  "inputs": ["L", "hint_a", "hint_b", "hint_mask", "prior_a", "prior_b"],
                  "prior": {"method": "levin", "scale": 0.5}},
    }


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(["plain", "classify", "prior"]),
       field=st.sampled_from(["inputs", "inference_size", "mode", "decode", "decode.temperature",
                              "decode.bins", "prior", "prior.scale", "generator.config", "generator.class",
                              "steps"]),
       value=_values)
def test_colorizer_files_with_fields_of_the_wrong_type_are_one_line(tmp_path, tiny_colorizer_files, kind,
                                                                    field, value):
    """Whatever a field of a colorizer file holds, it loads and colorizes, or fails in one line."""
    from gancolor.errors import CheckpointError
    from gancolor.infer.colorizer import load_colorizer
    from gancolor.model_files import COLORIZER_FORMAT, write_model_file

    contents = {key: dict(v) if isinstance(v, dict) else v for key, v in tiny_colorizer_files[kind].items()}
    where, _, key = field.partition(".")
    if key:
        contents[where] = {**(contents.get(where) or {}), key: value}
    else:
        contents[where] = value
    path = tmp_path / "colorizer.pt"
    write_model_file(path, COLORIZER_FORMAT, contents)
    try:
        colorizer = load_colorizer(path)
    except CheckpointError as error:
        assert str(error).startswith(f"{path}: ") and "\n" not in str(error) and len(str(error)) < 400
        return
    out = colorizer.colorize_image(smooth_photo(20, 12))  # a file that loads also works
    assert out.shape == (12, 20, 3)


# ---------------------------------------------------------------------------------------------
# Malformed archives


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _corrupt_zip(path: Path) -> Path:
    """A zip whose member's compressed data is damaged (its directory is intact)."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.png", bytes(range(256)) * 64)
    data = bytearray(path.read_bytes())
    data[60:90] = b"\xff" * 30
    path.write_bytes(bytes(data))
    return path


def _bytes(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("make, reason", [
    (lambda p: _zip(p, {"/".join(["a"] * 2000) + "/f.png": b"x"}), "is nested too deeply (2001 levels)"),
    (_corrupt_zip, "cannot unpack"),
    (lambda p: _bytes(p, b"PK\x03\x04" + b"\x00" * 40), "not a zip or tar archive"),
    (lambda p: _bytes(p, b""), "not a zip or tar archive"),
], ids=["deep", "corrupt", "header-only", "empty"])
def test_malformed_archives_are_one_line_and_leave_nothing(tmp_path, make, reason):
    archive = make(tmp_path / "data.zip")
    before = snapshot(tmp_path)
    with pytest.raises(DataError) as info:
        safe_extract(archive, tmp_path / "data")
    assert reason in str(info.value) and "\n" not in str(info.value)
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------------------------------------
# Downloads: a trickling server is abandoned; a deadline ends the whole fetch


class _Trickle(BaseHTTPRequestHandler):
    """Promises 1,000 bytes, then sends one every ``server.gap`` seconds."""

    protocol_version = "HTTP/1.0"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.send_response(200)
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(self.server.gap)  # type: ignore[attr-defined]
        except OSError:
            pass


@pytest.fixture
def trickle():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    httpd.daemon_threads = True
    httpd.gap = 1.5  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_a_server_trickling_a_byte_every_1_5_s_is_abandoned(trickle, tmp_path):
    url = f"http://127.0.0.1:{trickle.server_address[1]}/data.zip"
    started = time.monotonic()
    with pytest.raises(DownloadError) as info:
        fetch(url, tmp_path / "data.zip", progress=False, retries=0, min_rate=100, rate_window=1.0)
    assert time.monotonic() - started < 6
    message = str(info.value)
    assert message.startswith(f"{url}: too slow (") and "the minimum is 100 bytes/s" in message
    assert "\n" not in message and not (tmp_path / "data.zip").exists()


def test_a_download_past_its_deadline_is_abandoned(trickle, tmp_path):
    trickle.gap = 0.001
    url = f"http://127.0.0.1:{trickle.server_address[1]}/data.zip"
    with pytest.raises(DownloadError, match=r"not finished within the deadline of 0.3 s") as info:
        fetch(url, tmp_path / "data.zip", progress=False, retries=0, deadline=0.3)
    assert "\n" not in str(info.value) and not (tmp_path / "data.zip").exists()


# ---------------------------------------------------------------------------------------------
# Environment


def test_gancolor_cache_pointing_at_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "cache").write_text("a file")
    monkeypatch.setenv("GANCOLOR_CACHE", str(tmp_path / "cache"))
    assert main(TINY_TRAIN + ["--out", str(tmp_path / "run")]) == 1
    expected = f"gancolor: error: GANCOLOR_CACHE {tmp_path / 'cache'}: is a file, not a folder"
    assert one_line(capsys.readouterr().err) == expected
    assert not (tmp_path / "run").exists()


def test_atomic_write_into_a_file_instead_of_a_folder_is_one_line(tmp_path):
    (tmp_path / "folder").write_text("a file")
    with pytest.raises(WriteError, match="folder/out.png: cannot write .a folder on its path is a file"
                       ) as info:
        with atomic_write(tmp_path / "folder" / "out.png"):
            pass
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("ext", [".bmp", ".gif", ".jpg", ".png", ".tif", ".webp"])
def test_figures_are_written_in_every_image_format_and_verified(tmp_path, monkeypatch, ext):
    import matplotlib.pyplot as plt

    from gancolor.viz import comparison_grid

    target = tmp_path / f"demo{ext}"
    plt.close(comparison_grid({"gray": torch.rand(1, 3, 8, 8)}, path=target))
    before = snapshot(tmp_path)
    assert read_rgb(target).shape[2] == 3
    short_writes(monkeypatch)
    with pytest.raises(WriteError, match=f"^{target}: cannot write"):
        plt.close(comparison_grid({"gray": torch.rand(1, 3, 8, 8)}, path=target))
    assert snapshot(tmp_path) == before


def test_a_download_root_that_is_a_file_is_one_line(tmp_path, capsys):
    (tmp_path / "root").write_text("a file")
    assert main(["download", "--root", str(tmp_path / "root"), "cifar10"]) == 1
    assert one_line(capsys.readouterr().err) == (
        f"gancolor: error: the download root {tmp_path / 'root'}: is a file, not a folder")


def test_read_rgb_refuses_images_over_the_pixel_budget_before_decoding(tmp_path, monkeypatch):
    photo = photo_file(tmp_path / "a.png")
    monkeypatch.setattr(imageio, "MAX_PIXELS", 100)
    with pytest.raises(UserError, match=r"a.png: image is 24x16 = 0 megapixels, more than the limit"):
        read_rgb(photo)
