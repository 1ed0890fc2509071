"""Every shell command the docs show works: README.md, CONTRIBUTING.md, datasets/README.md, docs/*.md
and the model card.

Commands are the lines of fenced ```bash / ```sh / ```console blocks (in console blocks only the
`$ ` lines), `$ ` lines anywhere and IPython's `!` lines (Colab cells). Each is classified:

- **run** (cheap, offline): `gancolor colorize` / `stylize` on small photos made here, anything
  with `--help`, `download --list`, `python -m gancolor.course.build ... --check`. They run in a
  temporary folder (the repository's files they name are linked in) and must exit 0 and write
  what they promise.
- **parse** (training, evaluation, downloads, make, torchrun, notebooks): not run; the sub-command, every
  flag and every choice must exist in `gancolor ... --help`, a `make` target in the Makefile, a
  dataset name in `gancolor download --list`, a script or module in the repository.

An inline command of the form `gancolor SUB ...` in the text gets the flag check too. A command of
a program this file does not know fails the test: classify it here when you document one.
Budget: about a minute on a 2-core CPU.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCS = [REPO / "README.md", REPO / "CONTRIBUTING.md", REPO / "datasets" / "README.md",
        *sorted((REPO / "docs").glob("*.md")), REPO / "gancolor" / "weights" / "MODEL_CARD.md"]
SHELL_LANGUAGES = {"bash", "sh", "shell"}
SEPARATORS = {"&&", "||", ";", "|"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp", ".gif", ".webp"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".mkv", ".webm", ".avi"}
TIMEOUT = 120  # seconds for one command


@dataclass(frozen=True)
class DocCommand:
    """One command of a doc: where it is and its words (``argv``)."""

    doc: str
    line: int
    argv: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.doc}:{self.line}: {shlex.join(self.argv)}"


def split_commands(text: str) -> list[list[str]]:
    """Shell words of ``text``, split at ``&&``, ``||``, ``;`` and ``|``; comments dropped."""
    lexer = shlex.shlex(text, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands: list[list[str]] = [[]]
    for word in lexer:
        if word in SEPARATORS:
            commands.append([])
        else:
            commands[-1].append(word)
    return [words for words in commands if words]


def extract(path: Path) -> list[DocCommand]:
    """The shell commands of one Markdown file (see the module docstring)."""
    doc = str(path.relative_to(REPO)) if path.is_relative_to(REPO) else path.name
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[DocCommand] = []
    language: str | None = None  # None: outside a fence
    i = 0
    while i < len(lines):
        number, stripped = i + 1, lines[i].strip()
        i += 1
        fence = re.fullmatch(r"```\s*([\w-]*)\s*", stripped)
        if fence:
            language = fence.group(1).lower() if language is None else None
            continue
        if stripped.startswith("$ "):
            text = stripped[2:]
        elif language is not None and stripped.startswith("!"):
            text = stripped[1:]
        elif language in SHELL_LANGUAGES and stripped and not stripped.startswith("#"):
            text = stripped
        else:
            continue
        while text.endswith("\\") and i < len(lines):
            text = text[:-1] + " " + lines[i].strip()
            i += 1
        found += [DocCommand(doc, number, tuple(words)) for words in split_commands(text)]
    return found


def inline_gancolor_commands(path: Path) -> list[DocCommand]:
    """Inline code spans that show a ``gancolor SUB ...`` command line (checked, never run)."""
    doc = str(path.relative_to(REPO))
    text = path.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"`((?:\.venv/bin/|python -m )?gancolor [a-z][^`]*)`", text):
        words = match.group(1).replace("\\|", "|").replace("python -m gancolor", "gancolor").split()
        found.append(DocCommand(doc, text.count("\n", 0, match.start()) + 1, tuple(words)))
    return found


ALL_COMMANDS = [command for doc in DOCS for command in extract(doc)]
INLINE_COMMANDS = [command for doc in DOCS for command in inline_gancolor_commands(doc)]


# -- the installed CLI, asked through its --help --------------------------------------------

def cli_env() -> dict[str, str]:
    """This checkout's gancolor, whatever the working folder."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def run(argv: list[str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=cli_env(), capture_output=True, text=True, timeout=TIMEOUT)


@functools.cache
def help_text(*command: str) -> str:
    """``gancolor COMMAND... --help`` (e.g. ``("train", "colorize")``)."""
    done = run([sys.executable, "-m", "gancolor", *command, "--help"])
    assert done.returncode == 0, f"gancolor {' '.join(command)} --help failed: {done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class Options:
    """The options of one command's --help: which take a value (one, or several: ``multi``), which
    have fixed choices."""

    takes_value: frozenset[str]
    flags: frozenset[str]
    multi: frozenset[str]
    choices: dict[str, tuple[str, ...]]

    @property
    def names(self) -> frozenset[str]:
        return self.takes_value | self.flags


def parse_help(text: str) -> Options:
    takes_value, flags, choices = set(), set(), {}
    for match in re.finditer(r"(?<![\w-])(--?[A-Za-z][\w-]*)(?:[ =](\{[^}]*\}|[A-Z][A-Z0-9_]*\b))?", text):
        name, value = match.groups()
        if value:
            takes_value.add(name)
            if value.startswith("{"):
                choices[name] = tuple(value[1:-1].split(","))
        else:
            flags.add(name)
    multi = re.findall(r"(--[\w-]+) ([A-Z][A-Z0-9_]*) \[\2 \.\.\.\]", text)
    return Options(frozenset(takes_value), frozenset(flags - takes_value), frozenset(m[0] for m in multi),
                   choices)


@functools.cache
def subcommands(*command: str) -> frozenset[str]:
    """The sub-commands ``gancolor COMMAND... --help`` lists (``{a,b}`` or one indented line each)."""
    text = help_text(*command)
    braces = re.search(r"^usage:.*?\{([a-z,]+)\}", text, re.S | re.M)
    listed = re.findall(r"^ {4}([a-z][a-z-]*)(?: |$)", text, re.M)
    return frozenset(listed) | frozenset(braces.group(1).split(",") if braces else ())


def gancolor_commands() -> frozenset[str]:
    return subcommands()


def train_tasks() -> tuple[str, ...]:
    return tuple(sorted(subcommands("train")))


@functools.cache
def dataset_names() -> frozenset[str]:
    done = run([sys.executable, "-m", "gancolor", "download", "--list"])
    assert done.returncode == 0, done.stderr
    rows = done.stdout.splitlines()[1:]  # a header, then a name line and a description line each
    return frozenset(row.split()[0] for row in rows if row and not row[0].isspace())


@functools.cache
def torchrun_options() -> frozenset[str]:
    """The option names of torchrun, read from torch/distributed/run.py (importing torch to ask
    ``--help`` takes seconds)."""
    spec = importlib.util.find_spec("torch")  # finds the package without importing it
    assert spec is not None and spec.origin, "torch is not installed"
    source = (Path(spec.origin).parent / "distributed" / "run.py").read_text(encoding="utf-8")
    names = frozenset(re.findall(r'"(--[a-z][\w-]*)"', source))
    assert "--nproc-per-node" in names or "--nproc_per_node" in names, "cannot read torchrun's options"
    return names


@functools.cache
def make_targets() -> frozenset[str]:
    text = (REPO / "Makefile").read_text(encoding="utf-8")
    return frozenset(re.findall(r"^([a-z][\w-]*):", text, re.M))


# -- checking a command without running it -----------------------------------------------------

def gancolor_words(argv: tuple[str, ...]) -> list[str] | None:
    """The words after ``gancolor`` if ``argv`` runs gancolor's CLI (any spelling), else None."""
    words = list(argv)
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words.pop(0)  # VAR=value before the program
    if not words:
        return None
    program = words[0].removeprefix(".venv/bin/")
    if program == "gancolor":
        return words[1:]
    if program in ("python", "python3") and words[1:3] == ["-m", "gancolor"]:
        return words[3:]
    if program == "torchrun" and "-m" in words and words[words.index("-m") + 1] == "gancolor":
        return words[words.index("-m") + 2:]
    return None


def check_options(where: str, words: list[str], options: Options) -> list[str]:
    """Every option in ``words`` exists (and its value is one of its choices); returns positionals."""
    positionals, i = [], 0
    while i < len(words):
        word = words[i]
        i += 1
        if not word.startswith("-") or re.fullmatch(r"-\d.*", word):
            positionals.append(word)
            continue
        name, _, value = word.partition("=")
        assert name in options.names, f"{where}: {name} is not an option ({sorted(options.names)})"
        if name not in options.takes_value:
            continue
        values = [value] if value else []
        while i < len(words) and not words[i].startswith("-") and (not values or name in options.multi):
            values.append(words[i])
            i += 1
        assert values, f"{where}: {name} needs a value"
        # `a|b` in a synopsis: each alternative; an upper-case word is a placeholder (DIR, N)
        for alternative in (v for value in values for v in value.split("|") if v and not v.isupper()):
            allowed = options.choices.get(name, (alternative,))
            assert alternative in allowed, f"{where}: {name} {alternative}: not in {allowed}"
            if name == "--data" and "/" not in alternative:
                known = {"embedded", "embedded-paintings", "photos"} | dataset_names()  # commands/data.py
                assert alternative in known, f"{where}: --data {alternative}: no such dataset {sorted(known)}"
    return positionals


def check_gancolor(where: str, words: list[str]) -> None:
    """The sub-command, task, options, choices and dataset names of one gancolor command line."""
    assert words, f"{where}: gancolor without a command"
    if words[0].startswith("-"):
        check_options(where, words, parse_help(help_text()))
        return
    command, rest = words[0], words[1:]
    if command.isupper():  # a placeholder: `gancolor COMMAND --help`
        return
    assert command in gancolor_commands(), f"{where}: no command {command!r} ({sorted(gancolor_commands())})"
    if command == "train":
        if not rest:  # the command named in a sentence
            return
        tasks = [t for t in rest[0].split("|") if not t.isupper()]
        assert all(t in train_tasks() for t in tasks), f"{where}: train {rest[0]}: tasks are {train_tasks()}"
        for task in tasks or train_tasks():
            check_options(where, rest[1:], parse_help(help_text("train", task)))
        return
    positionals = check_options(where, rest, parse_help(help_text(command)))
    if command == "download":
        names = [n for n in positionals if not n.isupper() and n not in ("|", "\\|", "NAME...")]
        unknown = sorted(set(names) - dataset_names())
        assert not unknown, f"{where}: no dataset {unknown} in `gancolor download --list`"


def check_other(command: DocCommand) -> None:
    """A command that is not gancolor's: parsed and checked, never run."""
    where, words = str(command), list(command.argv)
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", words[0]):
        words.pop(0)
    program = words[0].removeprefix(".venv/bin/")
    if program == "make":
        for word in words[1:]:
            if "=" in word:
                variable = word.split("=")[0]
                makefile = (REPO / "Makefile").read_text(encoding="utf-8")
                assert re.search(rf"\b{variable}\b", makefile), f"{where}: the Makefile has no {variable}"
            else:
                assert word in make_targets(), f"{where}: no make target {word!r}"
    elif program == "torchrun":
        for word in words[1:words.index("-m")]:
            name = word.partition("=")[0]
            assert not name.startswith("-") or name in torchrun_options(), f"{where}: torchrun has no {name}"
        check_gancolor(where, gancolor_words(command.argv))
    elif program in ("python", "python3") and words[1:2] == ["-m"]:
        module = words[2]
        assert importlib.util.find_spec(module) is not None, f"{where}: no module {module}"
        if module == "pytest":
            check_paths(where, words[3:])
        elif module.startswith("gancolor."):
            check_paths(where, [w for w in words[3:] if not w.startswith("-")], placeholders=True)
    elif program in ("python", "python3"):
        check_paths(where, words[1:2])
    elif program in ("pytest", "bash"):
        check_paths(where, [w for w in words[1:] if not w.startswith("-")])
    elif program == "cp":
        assert len(words) == 3, f"{where}: cp SRC DST"
        check_paths(where, words[2:])  # the shipped file it replaces
    elif program in ("git", "conda"):
        pass  # version control and environment managers: shown, not checked
    else:
        pytest.fail(f"{where}: unknown program {program!r}: classify it in test_doc_commands.py")


def check_paths(where: str, paths: list[str], placeholders: bool = False) -> None:
    for path in paths:
        if placeholders and re.search(r"[A-Z]{2}", path):
            continue  # solutions/NN_name.ipynb
        assert (REPO / path).exists(), f"{where}: {path} does not exist in the repository"


# -- running the cheap ones ---------------------------------------------------------------------

def is_cheap(command: DocCommand) -> bool:
    words = gancolor_words(command.argv)
    if words is not None:
        if command.argv[0] == "torchrun":
            return False
        if "--help" in words or "-h" in words or words[:2] == ["download", "--list"]:
            return True
        # (evaluate, even of the one validation photo, takes 20-30 s on a busy 2-core CPU: checked
        # here, run in-process by tests/data/test_real_photos.py and tests/commands/test_cli.py)
        return words[:1] in (["colorize"], ["stylize"])
    argv = list(command.argv)
    return argv[0].removeprefix(".venv/bin/") in ("python", "python3") and argv[1:3] == [
        "-m", "gancolor.course.build"] and "--check" in argv


@functools.cache
def hints_example() -> str:
    """The hints file the README shows (so its example is tested too)."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"A hints file is a JSON list[^`]*`([^`]+)`", readme)
    assert match, "README: no hints file example"
    text = match.group(1).replace("\n", " ")
    json.loads(text)
    return text


def make_photo(path: Path, gray: bool = False) -> None:
    """A small real photo (scikit-image's astronaut at 256 px) where a command expects one."""
    import skimage.data
    from PIL import Image

    image = Image.fromarray(skimage.data.astronaut()).resize((256, 256))
    path.parent.mkdir(parents=True, exist_ok=True)
    (image.convert("L") if gray else image).save(path)


def make_video(path: Path, frames: int = 6) -> None:
    """A short small video (a square moving over a gradient) where a command expects one."""
    import numpy as np

    from gancolor.video.io import VideoWriter

    base = np.zeros((48, 64, 3), np.uint8)
    base[..., 0] = np.linspace(40, 200, 64, dtype=np.uint8)[None]
    base[..., 2] = 120
    path.parent.mkdir(parents=True, exist_ok=True)
    with VideoWriter(path, 64, 48, 12) as writer:
        for t in range(frames):
            frame = base.copy()
            frame[10:26, 4 * t:4 * t + 16] = (230, 60, 40)
            writer.write(frame)


def prepare(words: list[str], cwd: Path) -> list[Path]:
    """Make what the command reads in ``cwd``; returns the output folders it must fill."""
    outputs = []
    for i, word in enumerate(words):
        previous = words[i - 1] if i else ""
        if previous in ("-o", "--out", "--output"):
            outputs.append(cwd / word)
        elif previous == "--hints" and word.endswith(".json"):
            (cwd / word).write_text(hints_example(), encoding="utf-8")
        elif previous == "--reference":  # exemplar colorization: a colour reference photo
            make_photo(cwd / word)
        elif (REPO / word.split("/")[0]).exists() and "/" in word and not (cwd / word.split("/")[0]).exists():
            (cwd / word.split("/")[0]).symlink_to(REPO / word.split("/")[0])  # repository files it names
        elif word in ("solutions", "notebooks"):
            (cwd / word).symlink_to(REPO / word)
        elif words[0] in ("colorize", "stylize") and i > 0 and word[:1] != "-" and previous[:1] != "-":
            if Path(word).suffix.lower() in VIDEO_SUFFIXES:
                make_video(cwd / word)
            elif Path(word).suffix.lower() in IMAGE_SUFFIXES:
                make_photo(cwd / word, gray="gray" in word)
            elif word.endswith("/"):
                make_photo(cwd / word / "scan_1.png", gray=True)
    return outputs


@dataclass
class CheapRun:
    """One cheap command, run in its own folder: what it printed and the folders it had to fill."""

    done: subprocess.CompletedProcess[str]
    outputs: list[Path]


def run_cheap(command: DocCommand, cwd: Path) -> CheapRun:
    words = gancolor_words(command.argv)
    if words is not None:
        argv = [sys.executable, "-m", "gancolor", *words]
    else:
        words = list(command.argv)[1:]
        argv = [sys.executable, *words]
    outputs = prepare(words, cwd)
    return CheapRun(run(argv, cwd=cwd), outputs)


CHEAP_COMMANDS = [c for c in ALL_COMMANDS if is_cheap(c)]


@pytest.fixture(scope="module")
def cheap_runs(tmp_path_factory) -> dict[DocCommand, CheapRun]:
    """Every cheap command, run at once, two at a time (each is mostly a torch import)."""
    folders = {command: tmp_path_factory.mktemp("doc-command") for command in CHEAP_COMMANDS}
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {command: pool.submit(run_cheap, command, folder) for command, folder in folders.items()}
        return {command: future.result() for command, future in futures.items()}


@pytest.fixture(scope="module", autouse=True)
def _ask_every_help_at_once() -> None:
    """Fill the --help caches in parallel: a dozen small processes whose time is start-up latency."""
    commands = [(c,) for c in gancolor_commands()] + [("train", t) for t in train_tasks()]
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(lambda command: help_text(*command), commands))
        pool.submit(dataset_names).result()


# -- the tests ----------------------------------------------------------------------------------

def test_every_doc_shows_the_commands_it_should() -> None:
    """The extraction finds what the docs hold (a fence it cannot read would check nothing)."""
    per_doc = {doc: sum(c.doc == doc for c in ALL_COMMANDS) for doc in {c.doc for c in ALL_COMMANDS}}
    assert per_doc.get("README.md", 0) >= 10, per_doc
    assert per_doc.get("gancolor/weights/MODEL_CARD.md", 0) >= 10, per_doc
    assert per_doc.get("CONTRIBUTING.md", 0) >= 4, per_doc
    assert any(is_cheap(c) for c in ALL_COMMANDS) and any(not is_cheap(c) for c in ALL_COMMANDS)
    assert len(INLINE_COMMANDS) >= 10


def test_extract_reads_fences_console_prompts_and_continuations(tmp_path) -> None:
    doc = tmp_path / "doc.md"
    text = ("```bash\nmake demo   # a comment\n"
            "gancolor train colorize \\\n    --steps 3 --out r && ls r\n```\n"
            "```console\n$ gancolor --help\nusage: gancolor ...\n```\n```python\nx = 1\n```\n"
            "```ipython\n!gancolor download --list\n```\n$ make test\n")
    doc.write_text(text, encoding="utf-8")
    found = [(c.line, c.argv) for c in extract(doc)]
    assert found == [(2, ("make", "demo")),
                     (3, ("gancolor", "train", "colorize", "--steps", "3", "--out", "r")), (3, ("ls", "r")),
                     (7, ("gancolor", "--help")), (14, ("gancolor", "download", "--list")),
                     (16, ("make", "test"))]


def test_the_checks_catch_wrong_flags_commands_choices_and_datasets() -> None:
    for words, message in [(["colorize", "x.png", "--no-such-flag"], "--no-such-flag"),
                           (["paint", "x.png"], "no command 'paint'"),
                           (["train", "colorize", "--config", "huge", "--out", "r"], "huge"),
                           (["train", "colourise", "--out", "r"], "colourise"),
                           (["download", "imagenet"], "imagenet"),
                           (["train", "cyclegan", "--data", "horse2zebar", "--out", "r"], "horse2zebar")]:
        with pytest.raises(AssertionError, match=re.escape(message)):
            check_gancolor("test", words)


@pytest.mark.parametrize("command", [c for c in ALL_COMMANDS if not is_cheap(c)], ids=str)
def test_expensive_command_exists_as_written(command: DocCommand) -> None:
    words = gancolor_words(command.argv)
    if words is not None and command.argv[0] != "torchrun":
        check_gancolor(str(command), words)
    else:
        check_other(command)


@pytest.mark.parametrize("command", INLINE_COMMANDS, ids=str)
def test_inline_command_uses_real_flags(command: DocCommand) -> None:
    words = [w.strip("[]") for w in command.argv[1:]]
    check_gancolor(str(command), [w for w in words if w and w not in ("...", "|")])


@pytest.mark.parametrize("command", CHEAP_COMMANDS, ids=str)
def test_cheap_command_runs(command: DocCommand, cheap_runs) -> None:
    words = gancolor_words(command.argv)
    if words is not None:
        check_gancolor(str(command), words)
    done, outputs = cheap_runs[command].done, cheap_runs[command].outputs
    output = done.stdout[-2000:] + done.stderr[-3000:]
    assert done.returncode == 0, f"{command}: exit {done.returncode}\n{output}"
    for folder in outputs:
        written = [p for p in folder.rglob("*") if p.is_file()]
        assert written, f"{command}: wrote nothing into {folder.name}/"
