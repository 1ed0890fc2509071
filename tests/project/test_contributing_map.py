"""CONTRIBUTING.md's package map matches the package: a row for every module, no row for a module that
is gone (issue 17: "CONTRIBUTING's map generated or tested").

The map is the table under ``## Package map``; the first column of each row names one or more
modules in backticks (``gancolor.data.scenes``). A module is a ``.py`` file under ``gancolor/``
(``pkg/__init__.py`` is the package ``pkg``); the ``__main__`` entry points need no row.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "gancolor"
CONTRIBUTING = REPO / "CONTRIBUTING.md"
HEADING = "## Package map"
_NAME = re.compile(r"`(gancolor(?:\.[A-Za-z_]\w*)*)`")


def package_modules() -> set[str]:
    """Dotted names of every module and package under gancolor/, without the ``__main__`` ones."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(REPO).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names.add(".".join(parts))
    return names


def map_rows(text: str) -> list[tuple[list[str], str]]:
    """The rows of the package map: (module names of the first column, the job column)."""
    if HEADING not in text:
        raise AssertionError(f"{CONTRIBUTING.name} has no {HEADING!r} section")
    section = text.split(HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells[0] == "module" or set(cells[0]) <= set("-: "):
            continue  # the header and its separator
        rows.append((_NAME.findall(cells[0]), cells[1] if len(cells) > 1 else ""))
    return rows


def test_map_parsing_reads_names_and_jobs() -> None:
    text = f"intro\n{HEADING}\nwords\n| module | job |\n|---|---|\n| `gancolor.a`, `gancolor.b.c` | two |\n" \
           "| `gancolor` | root |\n\n## Next\n| `gancolor.not_in_the_map` | x |\n"
    assert map_rows(text) == [(["gancolor.a", "gancolor.b.c"], "two"), (["gancolor"], "root")]


def test_contributing_package_map_lists_exactly_the_modules() -> None:
    rows = map_rows(CONTRIBUTING.read_text(encoding="utf-8"))
    listed = [name for names, _ in rows for name in names]
    modules = package_modules()
    missing = sorted(modules - set(listed))
    stale = sorted(set(listed) - modules)
    twice = sorted({name for name in listed if listed.count(name) > 1})
    unnamed = [job for names, job in rows if not names]
    no_job = [", ".join(names) for names, job in rows if names and not job]
    problems = [
        f"missing from the map (add a row each): {', '.join(missing)}" if missing else "",
        f"stale (the map names modules that do not exist): {', '.join(stale)}" if stale else "",
        f"listed more than once: {', '.join(twice)}" if twice else "",
        f"rows that name no `gancolor...` module: {unnamed}" if unnamed else "",
        f"rows without a job: {', '.join(no_job)}" if no_job else "",
    ]
    problems = [problem for problem in problems if problem]
    assert not problems, f"{CONTRIBUTING.name}, {HEADING!r} is out of date:\n" + "\n".join(problems)
