"""No module of the package is longer than a reader can hold: at most 600 lines each (issue 17).

A module that grows past the limit is split along its seams into a package or sibling modules
with one job each, keeping the old import path working (see CONTRIBUTING's package map).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "gancolor"
MAX_LINES = 600


def test_every_module_has_at_most_600_lines() -> None:
    sizes = {path.relative_to(PACKAGE.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
             for path in sorted(PACKAGE.rglob("*.py"))}
    assert sizes, f"no modules found under {PACKAGE}"
    too_long = [f"{name}: {lines} lines" for name, lines in sizes.items() if lines > MAX_LINES]
    assert not too_long, (f"{len(too_long)} module(s) over {MAX_LINES} lines; split each along its seams "
                          "into modules with one job:\n" + "\n".join(too_long))
