"""The graph of imports between gancolor's modules: its cycles and its layer violations.

Every ``import gancolor...`` and ``from gancolor... import ...`` (or relative import) anywhere in a
file counts, inside functions too, except under ``if TYPE_CHECKING:`` (which never runs). An
import names the module it loads: ``from gancolor.train import distributed`` is an edge to the
submodule ``gancolor.train.distributed``; ``from gancolor.data import lab_batch`` is an edge to the
package ``gancolor.data`` (its ``__init__``).

The parts, lowest first (a part may import itself and the parts it lists)::

    core        gancolor (__init__), errors, runtime, io_utils, color, imageio
    data        gancolor.data.*
    models      models.*, losses.*, metrics.*, ab_classes, propagation, flow, model_files, toys, viz
    train       gancolor.train.*                         (beside infer; neither imports the other)
    infer       gancolor.infer.*                         (the trained models applied to files)
    evaluation  gancolor.evaluation.*                    (may use infer, never train)
    app         commands, cli, widgets, course, demo, the compatibility shims: anything

Run it (``python tests/import_graph.py``) for a report; tests/project/test_architecture.py checks it.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "gancolor"
PACKAGE_DIR = Path(__file__).resolve().parents[1] / PACKAGE

#: The parts each part may import (besides itself).
ALLOWED: dict[str, frozenset[str]] = {
    "core": frozenset(),
    "data": frozenset({"core"}),
    "models": frozenset({"core", "data"}),
    "train": frozenset({"core", "data", "models"}),
    "infer": frozenset({"core", "data", "models"}),
    "evaluation": frozenset({"core", "data", "models", "infer"}),
    "app": frozenset({"core", "data", "models", "train", "infer", "evaluation"}),
}

# Module name (or a prefix ending in ".") -> part; the longest match wins, anything else is "app".
_PARTS: dict[str, str] = {
    "gancolor": "core",  # the package's __init__: its version, nothing imported
    "gancolor.errors": "core",
    "gancolor.runtime": "core",
    "gancolor.io_utils": "core",
    "gancolor.color": "core",
    "gancolor.imageio": "core",
    "gancolor.data.": "data",
    "gancolor.data": "data",
    "gancolor.models.": "models",
    "gancolor.models": "models",
    "gancolor.losses.": "models",
    "gancolor.losses": "models",
    "gancolor.metrics.": "models",
    "gancolor.metrics": "models",
    "gancolor.ab_classes": "models",
    "gancolor.propagation": "models",
    "gancolor.model_files": "models",
    "gancolor.toys": "models",
    "gancolor.flow": "models",  # whole-pixel motion (clips, flicker, the temporal model)
    "gancolor.viz": "models",  # figures (training writes its curves); imports only the core
    "gancolor.train.": "train",
    "gancolor.train": "train",
    "gancolor.infer.": "infer",
    "gancolor.infer": "infer",
    "gancolor.evaluation.": "evaluation",
    "gancolor.evaluation": "evaluation",
}


def part_of(module: str) -> str:
    """The part (a key of :data:`ALLOWED`) that ``module`` belongs to."""
    if module in _PARTS:
        return _PARTS[module]
    prefixes = [p for p in _PARTS if p.endswith(".") and module.startswith(p)]
    return _PARTS[max(prefixes, key=len)] if prefixes else "app"


def package_modules(package_dir: Path = PACKAGE_DIR) -> dict[str, Path]:
    """Every module of the package by dotted name (a package by its own name): ``{name: file}``."""
    modules = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = list(path.relative_to(package_dir.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement of ``tree``, skipping the bodies of ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
              known: Iterable[str]) -> Iterator[str]:
    """The gancolor modules that the import ``node`` in ``module`` loads."""
    known = set(known)
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name == PACKAGE or alias.name.startswith(PACKAGE + "."):
                yield alias.name
        return
    if node.level:  # relative: from the module's package, up level - 1 more
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target != PACKAGE and not target.startswith(PACKAGE + "."):
        return
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        yield sub if sub in known else target


def import_graph(package_dir: Path = PACKAGE_DIR) -> dict[str, set[str]]:
    """``{module: the gancolor modules it imports}`` for every module of the package.

    An import of a name that is no module of the package (e.g. a missing one) keeps its name.
    """
    modules = package_modules(package_dir)
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        graph[name] = {target for node in _import_nodes(tree)
                       for target in _imported(node, name, is_package, modules) if target != name}
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The import cycles: strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:  # iterative Tarjan: no recursion limit on long chains
        nonlocal counter
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


@dataclass(frozen=True, order=True)
class Violation:
    """``importer`` (of part ``importer_part``) imports ``imported`` (of part ``imported_part``), which
    its part may not import."""

    importer: str
    imported: str
    importer_part: str
    imported_part: str

    def __str__(self) -> str:
        return f"{self.importer} ({self.importer_part}) imports {self.imported} ({self.imported_part})"


def layer_violations(graph: Mapping[str, Iterable[str]]) -> list[Violation]:
    """Every import from a part to a part it may not import (see :data:`ALLOWED`), sorted."""
    found = []
    for importer, targets in graph.items():
        mine = part_of(importer)
        for imported in targets:
            theirs = part_of(imported)
            if theirs != mine and theirs not in ALLOWED[mine]:
                found.append(Violation(importer, imported, mine, theirs))
    return sorted(found)


def report(package_dir: Path = PACKAGE_DIR) -> str:
    """The cycles and layer violations of the package, as text (empty sections say "none")."""
    graph = import_graph(package_dir)
    found_cycles, violations = cycles(graph), layer_violations(graph)
    lines = [f"{len(graph)} modules, {sum(map(len, graph.values()))} imports between them", "",
             f"cycles: {len(found_cycles) or 'none'}"]
    lines += [f"  {' <-> '.join(component)}" for component in found_cycles]
    lines += ["", f"layer violations: {len(violations) or 'none'}"]
    lines += [f"  {violation}" for violation in violations]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1]) if len(sys.argv) > 1 else PACKAGE_DIR))
