"""Measure how long each solution notebook takes to run top to bottom, as a student would.

    python benchmarks/notebook_runtimes.py            # all of solutions/
    python benchmarks/notebook_runtimes.py 04 05      # some of them

Each notebook is executed on a copy in memory (nothing in solutions/ changes) with the kernel of
this Python, and the wall time is written to benchmarks/notebook_runtimes.md together with the
machine. The embedded dataset is built once beforehand so no notebook pays for it.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("notebook_runtimes.md")


def main(selected: list[str]) -> int:
    from gancolor.course.build import read_notebook
    from gancolor.course.execute import execute_notebook
    from gancolor.data import load_embedded

    load_embedded("train")  # build the cache once, outside the timings
    rows = []
    for path in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        if selected and path.name[:2] not in selected:
            continue
        load = os.getloadavg()[0]
        start = time.perf_counter()
        execute_notebook(read_notebook(path), cwd=path.parent)
        seconds = time.perf_counter() - start
        rows.append((path.name, seconds, load))
        print(f"{path.name}: {seconds:.0f} s (load average {load:.1f})", flush=True)
    total = sum(seconds for _, seconds, _ in rows)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Notebook runtimes",
        "",
        f"Measured by `python benchmarks/notebook_runtimes.py`, {stamp}, on {os.cpu_count()} cores "
        f"({sys.platform}); kernel start included, embedded dataset already cached.",
        "",
        "| notebook | seconds | load average at start |",
        "|---|---|---|",
        *[f"| {name} | {seconds:.0f} | {load:.1f} |" for name, seconds, load in rows],
        f"| **all** | **{total:.0f}** | |",
        "",
    ]
    if not selected:
        RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
