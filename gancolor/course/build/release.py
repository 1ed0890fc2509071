"""The release that Colab installs: every install line and Colab badge names the git tag
``v<version>`` (``gancolor.__version__``), never a moving branch.

A release bumps the version, then runs ``make pin-release`` (:func:`main`): it re-pins README.md,
CONTRIBUTING.md, docs/*.md and solutions/*.ipynb to the new tag (plain text replacement: notebook
outputs are untouched) and rebuilds notebooks/; then the release commit is tagged ``v<version>``
and the tag pushed (CONTRIBUTING.md, "Releasing").
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from pathlib import Path

from gancolor import __version__
from gancolor.course.build.notebook_files import build_all

__all__ = [
    "REPOSITORY",
    "RELEASE_TAG",
    "INSTALL_URL",
    "COLAB_NOTEBOOKS_URL",
    "PINNED_FILES",
    "pin",
    "stale_pins",
    "pin_files",
    "main",
]

#: The GitHub repository (owner/name) that Colab installs from and opens notebooks of.
REPOSITORY = "gancolor/gancolor"
#: The git tag of this version; a release creates it on the commit that carries the version.
RELEASE_TAG = f"v{__version__}"
#: What ``pip install`` gets in Colab: the package at the tag of this version.
INSTALL_URL = f"git+https://github.com/{REPOSITORY}@{RELEASE_TAG}"
#: The folder of the student notebooks as Colab opens them, at the same tag.
COLAB_NOTEBOOKS_URL = f"https://colab.research.google.com/github/{REPOSITORY}/blob/{RELEASE_TAG}/notebooks/"
#: The files (globs from the repository root) whose install lines and badges name the tag.
PINNED_FILES = ("README.md", "CONTRIBUTING.md", "docs/*.md", "solutions/*.ipynb", "notebooks/*.ipynb")

_REPO = re.escape(REPOSITORY)
# A git install of the repository, with or without @ref; a Colab link to a file at some ref.
_INSTALL = re.compile(rf"git\+https://github\.com/{_REPO}(?:\.git)?(?:@(?P<ref>[\w.\-/]+))?(?![\w.\-/@])")
_COLAB = re.compile(rf"https://colab\.research\.google\.com/github/{_REPO}/blob/(?P<ref>[\w.\-]+)/notebooks/")


def pin(text: str) -> str:
    """``text`` with every git install of the repository and every Colab notebook link at RELEASE_TAG."""
    text = _INSTALL.sub(INSTALL_URL, text)
    return _COLAB.sub(COLAB_NOTEBOOKS_URL, text)


def stale_pins(text: str) -> list[str]:
    """The install URLs and Colab links in ``text`` that do not name RELEASE_TAG (empty: all pinned)."""
    return [match.group(0) for pattern in (_INSTALL, _COLAB) for match in pattern.finditer(text)
            if match.group("ref") != RELEASE_TAG]


def pin_files(root: str | Path) -> list[Path]:
    """Re-pin :data:`PINNED_FILES` under ``root``; returns the files that changed."""
    changed = []
    for pattern in PINNED_FILES:
        for path in sorted(Path(root).glob(pattern)):
            text = path.read_text(encoding="utf-8")
            pinned = pin(text)
            if pinned != text:
                path.write_text(pinned, encoding="utf-8", newline="")
                changed.append(path)
    return changed


def main(argv: Iterable[str] | None = None) -> int:
    """``make pin-release``: pin the files of ROOT (``argv[0]``; default: the current folder) to
    RELEASE_TAG, then rebuild ROOT/notebooks from ROOT/solutions. Returns the exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0] if args else ".")
    if not (root / "solutions").is_dir():
        print(f"error: {root}: no solutions/ folder (run from the repository root)", file=sys.stderr)
        return 2
    for path in pin_files(root):
        print(f"pinned {path} to {RELEASE_TAG}")
    for path in build_all(root / "solutions", root / "notebooks"):
        print(f"wrote {path}")
    print(f"every Colab install line and badge names {RELEASE_TAG}")
    return 0
