"""The package's architecture: no import cycles, the parts layered, old paths kept as thin shims, one
module per name, no module over 600 lines (the package map: tests/project/test_contributing_map.py).

The graph and the parts are in tests/import_graph.py (``python tests/import_graph.py`` prints the
report). Any problem fails at once, naming what breaks which rule.
"""

from __future__ import annotations

import ast
import importlib
import re
from collections import Counter

import pytest
from import_graph import PACKAGE_DIR, cycles, import_graph, layer_violations, package_modules, part_of, report

#: The old public module paths, now re-export shims: {old path: the modules that hold its names}.
SHIMS: dict[str, tuple[str, ...]] = {
    "gancolor.inference": ("gancolor.infer.colorizer", "gancolor.infer.full_resolution",
                           "gancolor.model_files"),
    "gancolor.stylize": ("gancolor.infer.stylizer", "gancolor.model_files"),
    "gancolor.multitask": ("gancolor.infer.multitask_model", "gancolor.evaluation.multitask_eval",
                           "gancolor.model_files"),
    "gancolor.hints": ("gancolor.data.hint_maps", "gancolor.infer.user_hints", "gancolor.color"),
    "gancolor.evaluate": ("gancolor.evaluation.colorizer_eval", "gancolor.evaluation.scores",
                          "gancolor.evaluation.baseline_colorizers"),
    "gancolor.evaluate_photos": ("gancolor.evaluation.photo_eval",),
    "gancolor.evaluate_style": ("gancolor.evaluation.stylizer_eval",),
    "gancolor.baselines": ("gancolor.evaluation.baseline_colorizers",),
}

MAX_LINES = 600

GRAPH = import_graph()
MODULES = package_modules()


def _shim_users() -> set[str]:
    return {module for module, imported in GRAPH.items() if module not in SHIMS and imported & set(SHIMS)}


def _shared_names() -> set[str]:
    names = Counter(name.rsplit(".", 1)[-1] for name, path in MODULES.items()
                    if path.name != "__init__.py" and name not in SHIMS and not name.endswith("__main__"))
    return {name for name, count in names.items() if count > 1}


def _long_modules() -> set[str]:
    return {name for name, path in MODULES.items()
            if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES}


#: Each rule: what breaks it in the package now (a function) and what the failure message calls it.
RULES = {
    "cycles": (lambda: {tuple(c) for c in cycles(GRAPH)}, "import cycles"),
    "layers": (lambda: {(v.importer, v.imported) for v in layer_violations(GRAPH)},
               "imports across the layers"),
    "old-paths": (_shim_users, "modules importing an old path instead of the module that holds the code"),
    "names": (_shared_names, "module names used by two modules"),
    "lines": (_long_modules, f"modules over {MAX_LINES} lines"),
}


# --- the graph itself ----------------------------------------------------------------------------


def test_the_graph_sees_every_kind_of_import(tmp_path):
    package = tmp_path / "gancolor"
    (package / "data").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "color.py": "import gancolor.errors\n",
        "errors.py": "",
        "data/__init__.py": "from .lab import lab_batch\n",
        "data/lab.py": ("from typing import TYPE_CHECKING\n"
                        "from .. import color\n"
                        "if TYPE_CHECKING:\n    from gancolor.train import fit\n"
                        "def f():\n    from gancolor.data import lab_batch\n    import numpy\n"),
    }
    for name, text in files.items():
        (package / name).write_text(text)
    assert import_graph(package) == {
        "gancolor": set(), "gancolor.errors": set(),
        "gancolor.color": {"gancolor.errors"},  # import gancolor.x
        "gancolor.data": {"gancolor.data.lab"},  # relative, from a package's __init__
        # relative import of a submodule; an import inside a function; nothing under TYPE_CHECKING
        "gancolor.data.lab": {"gancolor.color", "gancolor.data"},
    }
    assert cycles(import_graph(package)) == [["gancolor.data", "gancolor.data.lab"]]


def test_cycles_and_layers_are_found_in_a_made_up_graph():
    graph = {"gancolor.color": {"gancolor.data.lab"}, "gancolor.data.lab": {"gancolor.color"},
             "gancolor.train.loop": {"gancolor.infer.colorizer"}, "gancolor.infer.colorizer": set(),
             "gancolor.evaluation.scores": {"gancolor.infer.colorizer"}}
    assert cycles(graph) == [["gancolor.color", "gancolor.data.lab"]]
    assert [(v.importer, v.imported) for v in layer_violations(graph)] == [
        ("gancolor.color", "gancolor.data.lab"), ("gancolor.train.loop", "gancolor.infer.colorizer")]


# --- no cycles, the parts layered, one name per module, short modules -----------------------------


@pytest.mark.parametrize("rule", sorted(RULES))
def test_nothing_breaks_a_rule(rule):
    find, what = RULES[rule]
    found = sorted(find())
    assert not found, f"{what}:\n" + "\n".join(map(str, found))


def test_train_infer_and_evaluation_stand_beside_each_other():
    banned = {"infer": {"train", "evaluation", "app"}, "evaluation": {"train", "app"}}
    for module, imported in GRAPH.items():
        parts = {part_of(m) for m in imported}
        assert not parts & banned.get(part_of(module), set()), module


# --- the old paths -------------------------------------------------------------------------------


@pytest.mark.parametrize("old", sorted(SHIMS))
def test_an_old_path_is_a_thin_shim_of_the_same_objects(old):
    tree = ast.parse(MODULES[old].read_text(encoding="utf-8"))
    body = tree.body[1:] if ast.get_docstring(tree) else tree.body
    assert ast.get_docstring(tree) and "Moved" in ast.get_docstring(tree)
    for node in body:  # only `from ... import ...` and `__all__ = [...]`: no logic
        assert isinstance(node, ast.ImportFrom) or (
            isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] == ["__all__"]), \
            f"{old} holds more than re-exports: {ast.unparse(node)[:60]}"
    shim = importlib.import_module(old)
    homes = [importlib.import_module(name) for name in SHIMS[old]]
    for name in shim.__all__:
        assert any(getattr(home, name, None) is getattr(shim, name) for home in homes), f"{old}.{name}"
    assert {node.module for node in body if isinstance(node, ast.ImportFrom)} == set(SHIMS[old])


def _package_map() -> list[str]:
    """The modules named in the first column of CONTRIBUTING.md's package map."""
    text = (PACKAGE_DIR.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    table = text.split("## Package map", 1)[1].split("\n## ", 1)[0]
    return [name for row in table.splitlines() if row.startswith("| `")
            for name in re.findall(r"`(gancolor[\w.]*)`", row.split("|")[1])]


def test_the_report_names_the_cycles_and_violations():
    text = report(PACKAGE_DIR)
    assert text.startswith(f"{len(GRAPH)} modules") and "cycles:" in text and "layer violations:" in text
