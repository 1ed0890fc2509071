"""Run notebooks with nbclient in this Python environment; store a solution's outputs.

For notebook authors::

    python -m gancolor.course.execute solutions/04_colorization.ipynb [more.ipynb ...]

executes each solution notebook top to bottom in its own folder (a fresh kernel of *this*
Python, so the package under development is the one imported), saves it in place with its
outputs, and rebuilds the matching student notebook (``notebooks/`` next to ``solutions/``,
or ``--notebooks DIR``). If a cell fails nothing is written and the error is printed. It
prints the run time, which the course keeps under two minutes on a 2-core CPU.

:func:`execute_notebook` is also what the tests use to run the student notebooks;
:func:`run_submission` runs a student's notebook for grading: every cell, whatever fails, a
hanging cell interrupted, a dying kernel reported.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbformat import NotebookNode
from traitlets import default

from gancolor.course import build
from gancolor.errors import UserError

__all__ = ["execute_notebook", "execute_solution", "run_submission", "RunOutcome", "CPU_BUDGET_SECONDS",
           "main"]

#: Every notebook runs top to bottom within this time on 2 CPU cores (DESIGN.md).
CPU_BUDGET_SECONDS = 120.0


class _CurrentEnvKernelSpecs(KernelSpecManager):
    """Every kernel name resolves to an IPython kernel of the running Python (like nbval's
    ``--nbval-current-env``): a ``python3`` kernelspec installed elsewhere on the machine,
    pointing at another Python, is never used by mistake."""

    def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
        import ipykernel.kernelspec

        spec = ipykernel.kernelspec.get_kernel_dict()  # argv starts with sys.executable
        return KernelSpec(resource_dir=ipykernel.kernelspec.RESOURCES, **spec)


class _CurrentEnvKernelManager(AsyncKernelManager):
    @default("kernel_spec_manager")
    def _kernel_spec_manager_default(self) -> KernelSpecManager:
        return _CurrentEnvKernelSpecs(data_dir=self.data_dir)


def execute_notebook(nb: NotebookNode, cwd: str | Path, timeout: float = 300.0) -> NotebookNode:
    """Execute ``nb`` in place, top to bottom, in a fresh kernel whose working folder is ``cwd``.

    Cells tagged ``raises-exception`` may raise (the error is stored in their outputs); any
    other error raises ``nbclient.exceptions.CellExecutionError``. ``timeout`` is per cell, in
    seconds. Execution timings and widget state are not recorded (less noise in diffs).
    """
    from nbclient import NotebookClient

    client = NotebookClient(
        nb,
        timeout=int(timeout),
        kernel_name="python3",
        kernel_manager_class=_CurrentEnvKernelManager,
        resources={"metadata": {"path": str(cwd)}},
        record_timing=False,
        store_widget_state=False,
    )
    client.execute()
    return nb


@dataclass
class RunOutcome:
    """What happened while :func:`run_submission` ran a notebook (cells counted from 0).

    ``timed_out``: the cells that ran over the time limit and were interrupted; ``stopped``: why
    the run ended early (a dead kernel, a hang the interrupt could not stop, a kernel that never
    started), None when every cell ran; ``stopped_in``: the cell running then (the later cells did
    not run), None if none was.
    """

    timed_out: list[int] = field(default_factory=list)
    stopped: str | None = None
    stopped_in: int | None = None


class _Unstoppable(Exception):
    """A cell ran over the time limit right after another one: the interrupt did not stop it."""


#: ``ename`` of the execute reply nbclient fakes for a cell that ran over the time limit.
_TIMEOUT_ENAME = "gancolor-cell-timeout"


def run_submission(nb: NotebookNode, cwd: str | Path, timeout: int) -> RunOutcome:
    """Run every code cell of ``nb`` in place, in a fresh kernel of this Python, in folder ``cwd``.

    Errors are stored in the cells' outputs and the run goes on. A cell running longer than
    ``timeout`` seconds is interrupted (KeyboardInterrupt) and the run goes on; if the next cell
    runs over too, the kernel did not answer the interrupt and the run stops. A kernel that dies
    stops the run. The kernel's own log lines are silenced. Returns what happened.

    A kernel that dies before it runs any cell (on a busy machine, e.g. when another kernel
    starting at the same moment took its port) is started once more.
    """
    outcome = _run_once(nb, cwd, timeout)
    if outcome.stopped and outcome.stopped_in is None and not outcome.timed_out:
        outcome = _run_once(nb, cwd, timeout)
    return outcome


def _run_once(nb: NotebookNode, cwd: str | Path, timeout: int) -> RunOutcome:
    """One attempt of :func:`run_submission`."""
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    outcome = RunOutcome()
    current: list[int] = []  # the cell being executed, and the one before it

    def started(cell: NotebookNode, cell_index: int, **_: Any) -> None:
        current.append(cell_index)

    def failed(cell: NotebookNode, cell_index: int, execute_reply: dict, **_: Any) -> None:
        if execute_reply.get("content", {}).get("ename") != _TIMEOUT_ENAME:
            return
        outcome.timed_out.append(cell_index)
        if len(current) > 1 and current[-2] in outcome.timed_out:
            raise _Unstoppable

    client = NotebookClient(
        nb,
        timeout=max(1, int(timeout)),
        kernel_name="python3",
        kernel_manager_class=_CurrentEnvKernelManager,
        resources={"metadata": {"path": str(cwd)}},
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={"ename": _TIMEOUT_ENAME, "evalue": f"over {timeout} s", "traceback": []},
        record_timing=False,
        store_widget_state=False,
        on_cell_execute=started,
        on_cell_error=failed,
    )
    try:
        client.execute(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except _Unstoppable:
        outcome.stopped_in = current[-1]
        outcome.stopped = (f"cell {current[-1] + 1} ran over {timeout} s right after cell {current[-2] + 1} "
                           "did: the kernel did not answer the interrupt, so the rest was not run")
    except DeadKernelError:
        outcome.stopped_in = current[-1] if current else None
        where = f" in cell {current[-1] + 1}" if current else ""
        outcome.stopped = f"the kernel died{where}, so the rest was not run"
    except Exception as error:  # the kernel did not start, or lost its connection
        from gancolor.errors import first_line

        outcome.stopped_in = current[-1] if current else None
        outcome.stopped = f"the notebook could not be run ({type(error).__name__}: {first_line(error)})"
    return outcome


def execute_solution(path: str | Path, notebooks_dir: str | Path | None = None,
                     timeout: float = 300.0) -> tuple[float, Path]:
    """Execute a solution notebook in place and rebuild its student notebook.

    Returns the execution time in seconds and the path of the student notebook. Raises
    ``CellExecutionError`` (nothing written) or :class:`gancolor.course.build.MarkupError`
    (solution written, student notebook not).
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such notebook")
    nb = build.read_notebook(path)
    if nb.nbformat_minor < 5:
        nb.nbformat_minor = 5
    build.ensure_cell_ids(nb.cells)
    if notebooks_dir is None:
        notebooks = path.resolve().parent.parent / "notebooks"
    else:
        notebooks = Path(notebooks_dir)
    start = time.perf_counter()
    execute_notebook(nb, cwd=path.resolve().parent, timeout=timeout)
    seconds = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    build.write_notebook(nb, path)
    student = notebooks / path.name
    build.write_notebook(build.build_student_notebook(nb, str(path)), student)
    return seconds, student


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m gancolor.course.execute solutions/NN_name.ipynb [...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m gancolor.course.execute",
        description="Execute solution notebooks in place (outputs stored); rebuild their student notebooks.",
    )
    parser.add_argument("notebooks", nargs="+", type=Path, help="solution notebooks to execute")
    parser.add_argument("--notebooks-dir", type=Path, default=None,
                        help="where the student notebooks go (default: notebooks/ next to solutions/)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per-cell timeout in seconds (300)")
    args = parser.parse_args(None if argv is None else list(argv))
    from nbclient.exceptions import CellExecutionError

    status = 0
    for path in args.notebooks:
        try:
            seconds, student = execute_solution(path, args.notebooks_dir, args.timeout)
        except CellExecutionError as exc:
            print(f"error: {path}: a cell failed, nothing written\n{exc}", file=sys.stderr)
            status = 1
            continue
        except UserError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 1
            continue
        note = "" if seconds <= CPU_BUDGET_SECONDS else f"  -- over the {CPU_BUDGET_SECONDS:.0f} s budget!"
        print(f"executed {path} in {seconds:.1f} s{note}; wrote {os.path.relpath(student)}")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
