"""What the install files promise, kept true: the Python versions (README, CONTRIBUTING, pyproject,
constraints.txt), environment.yml against pyproject.toml, the licences, the release tag every Colab
link names, the extras the docs mention and `make lab` as root.

(The wheel itself is built, installed on Python 3.12 and run outside the repository by
`.ci/test-wheel`, a step of CI; `make setup` on the lowest stated Python is CONTRIBUTING's recipe.)
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

import gancolor
from gancolor.course.build.release import PINNED_FILES, RELEASE_TAG, pin, stale_pins

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: pytest's own dependency
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
README = (REPO / "README.md").read_text(encoding="utf-8")
CONTRIBUTING = (REPO / "CONTRIBUTING.md").read_text(encoding="utf-8")

#: conda-forge's name of a package whose PyPI name differs (none today; e.g. torch is "pytorch").
CONDA_NAMES = {"pytorch": "torch"}


# -- Python versions --------------------------------------------------------------------------

def lowest_python() -> str:
    """The lowest Python the project supports, from ``requires-python = ">=3.X"``."""
    match = re.fullmatch(r">=\s*(3\.\d+)", PROJECT["requires-python"])
    assert match, f"requires-python {PROJECT['requires-python']!r} is not of the form >=3.X"
    return match.group(1)


def test_the_stated_python_versions_agree() -> None:
    low = lowest_python()
    assert f"Python {low}+" in README, f"README must say 'Python {low}+' (requires-python)"
    assert f"Python {low}+" in CONTRIBUTING, f"CONTRIBUTING must say 'Python {low}+' (requires-python)"
    assert PYPROJECT["tool"]["ruff"]["target-version"] == "py" + low.replace(".", "")
    stated = set(re.findall(r"Python (3\.\d+)\+", README + CONTRIBUTING))
    assert stated == {low}, f"the docs state Python {sorted(stated)}+, pyproject {low}+"


def constraint_lines() -> list[Requirement]:
    lines = (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return [Requirement(line) for line in lines if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13"])
def test_constraints_pin_each_package_once_for_every_supported_python(python: str) -> None:
    """`make setup` on every supported Python gets exactly one version of each pinned package: the
    3.11 freeze, with the `python_version < "3.11"` lines standing in on 3.10."""
    if tuple(map(int, python.split("."))) < tuple(map(int, lowest_python().split("."))):
        pytest.skip(f"Python {python} is not supported")
    pins: dict[str, list[str]] = {}
    for req in constraint_lines():
        exact = len(req.specifier) == 1 and next(iter(req.specifier)).operator == "=="
        assert exact, f"{req}: not an exact pin"
        if req.marker is None or req.marker.evaluate({"python_version": python}):
            pins.setdefault(canonicalize_name(req.name), []).append(str(req.specifier))
    doubles = {name: versions for name, versions in pins.items() if len(versions) > 1}
    assert not doubles, f"Python {python}: several pins for {doubles}"
    for dependency in PROJECT["dependencies"]:
        assert canonicalize_name(Requirement(dependency).name) in pins, f"{dependency} is not pinned"


def test_constraint_markers_only_split_by_python_version() -> None:
    for req in constraint_lines():
        if req.marker is not None:
            assert re.fullmatch(r'python_version (<|>=) "3\.\d+"', str(req.marker)), req


# -- environment.yml --------------------------------------------------------------------------

def environment_yml() -> tuple[str, dict[str, str]]:
    """(the python spec, {normalised name: version spec}) of environment.yml, conda and pip parts.

    A small reader for the file's simple layout (``- name>=1.0`` items, a ``- pip:`` list), so
    that the test needs no YAML library.
    """
    python, packages = "", {}
    for raw in (REPO / "environment.yml").read_text(encoding="utf-8").splitlines():
        item = re.fullmatch(r"\s*-\s+(\S.*?)\s*", raw.split(" #")[0])
        if not item or item.group(1) in ("pip", "pip:", "conda-forge", "-e ."):
            continue
        spec = item.group(1)
        name = re.match(r"[A-Za-z0-9_.\-]+", spec).group(0)
        if name == "python":
            python = spec[len(name):].lstrip("=")
            continue
        key = canonicalize_name(CONDA_NAMES.get(name, name))
        assert key not in packages, f"environment.yml lists {name} twice"
        packages[key] = spec[len(name):]
    return python, packages


def pyproject_requirements() -> dict[str, str]:
    """{normalised name: version spec} of the dependencies and every extra of pyproject.toml."""
    requirements = list(PROJECT["dependencies"])
    for extra in PROJECT["optional-dependencies"].values():
        requirements += extra
    found: dict[str, str] = {}
    for line in requirements:
        req = Requirement(line)
        key = canonicalize_name(req.name)
        assert found.get(key, str(req.specifier)) == str(req.specifier), f"{req.name}: two version specs"
        found[key] = str(req.specifier)
    return found


def test_environment_yml_has_every_pyproject_dependency_with_its_version() -> None:
    _, env = environment_yml()
    wanted = pyproject_requirements()
    missing = sorted(set(wanted) - set(env))
    assert not missing, f"environment.yml lacks {missing} (pyproject.toml's dependencies and extras)"
    for name, spec in wanted.items():
        same = SpecifierSet(env[name]) == SpecifierSet(spec)
        assert same, f"{name}: {env[name]!r} in environment.yml, {spec!r} in pyproject.toml"


def test_environment_yml_has_nothing_pyproject_does_not_declare() -> None:
    _, env = environment_yml()
    extra = sorted(set(env) - set(pyproject_requirements()))
    assert not extra, f"environment.yml has {extra}, which pyproject.toml does not declare"


def test_environment_yml_installs_the_package_on_a_supported_python() -> None:
    python, _ = environment_yml()
    assert python and SpecifierSet(PROJECT["requires-python"]).contains(python + ".0"), python
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s+- -e \.\s*$", text, re.M), "environment.yml does not install the package (- -e .)"


# -- licences ---------------------------------------------------------------------------------

def test_the_code_is_mit_and_the_notebooks_cc_by_everywhere() -> None:
    license_text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert license_text.startswith("MIT License") and "Permission is hereby granted" in license_text
    assert PROJECT["license"] == "MIT" and PROJECT["license-files"] == ["LICENSE"]
    notebooks = (REPO / "LICENSE-notebooks").read_text(encoding="utf-8")
    assert "CC BY 4.0" in notebooks and "creativecommons.org/licenses/by/4.0" in notebooks
    pyproject_text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert "CC-BY-4.0" in pyproject_text and "LICENSE-notebooks" in pyproject_text
    section = README.split("## Licence", 1)[-1]
    for needle in ["MIT", "(LICENSE)", "CC BY 4.0", "(LICENSE-notebooks)"]:
        assert needle in section, f"README's `## Licence` section must name {needle}"
    for doc in ["README.md", "CONTRIBUTING.md", "datasets/README.md", "gancolor/weights/MODEL_CARD.md"]:
        text = (REPO / doc).read_text(encoding="utf-8")
        for other in ["Apache", "GPL", "BSD licen", "CC BY-SA", "CC BY-NC"]:
            assert other not in text, f"{doc} names {other}: the code is MIT, the notebooks CC BY 4.0"


# -- the release Colab installs ---------------------------------------------------------------

def test_the_package_version_is_the_pyproject_version() -> None:
    assert gancolor.__version__ == PROJECT["version"]
    assert RELEASE_TAG == f"v{PROJECT['version']}"


def test_every_colab_install_line_and_badge_names_the_release_tag() -> None:
    """No install line or Colab link follows a moving branch (`make pin-release` after a bump)."""
    files = [path for pattern in PINNED_FILES for path in sorted(REPO.glob(pattern))]
    assert len(files) > 20
    stale = {str(p.relative_to(REPO)): s for p in files if (s := stale_pins(p.read_text(encoding="utf-8")))}
    assert not stale, f"not at {RELEASE_TAG} (run `make pin-release`): {stale}"
    readme_links = re.findall(r"colab\.research\.google\.com/github/\S+?/blob/([^/]+)/notebooks/", README)
    assert len(readme_links) >= 10 and set(readme_links) == {RELEASE_TAG}
    assert f"git+https://github.com/gancolor/gancolor@{RELEASE_TAG}" in README


def test_pin_rewrites_branches_and_bare_urls_and_keeps_the_rest() -> None:
    text = ('%pip install -q "gancolor @ git+https://github.com/gancolor/gancolor"\n'
            "pip install git+https://github.com/gancolor/gancolor@main#egg=x\n"
            "(https://colab.research.google.com/github/gancolor/gancolor/blob/main/notebooks/01_a.ipynb)\n"
            "git+https://github.com/someone/else@main\n")
    pinned = pin(text)
    assert pinned == (f'%pip install -q "gancolor @ git+https://github.com/gancolor/gancolor@{RELEASE_TAG}"\n'
                      f"pip install git+https://github.com/gancolor/gancolor@{RELEASE_TAG}#egg=x\n"
                      "(https://colab.research.google.com/github/gancolor/gancolor/blob/"
                      f"{RELEASE_TAG}/notebooks/01_a.ipynb)\n"
                      "git+https://github.com/someone/else@main\n")
    assert len(stale_pins(text)) == 3 and stale_pins(pinned) == [] and pin(pinned) == pinned


# -- extras the docs name ---------------------------------------------------------------------

def test_every_extra_the_docs_and_notebooks_name_exists() -> None:
    extras = set(PROJECT["optional-dependencies"])
    texts = {p: p.read_text(encoding="utf-8") for p in
             [REPO / "README.md", REPO / "CONTRIBUTING.md", REPO / "datasets" / "README.md",
              REPO / "gancolor" / "weights" / "MODEL_CARD.md", REPO / "Makefile",
              *sorted((REPO / "docs").glob("*.md")), *sorted((REPO / "solutions").glob("*.ipynb"))]}
    named = 0
    for path, text in texts.items():
        # `[course]` extra, '.[course,dev]', gancolor[course]
        for group in re.findall(r"`\[([\w,\s-]+)\]` extra|\.\[([\w,\s-]+)\]|gancolor\[([\w,\s-]+)\]", text):
            for name in filter(None, ",".join(group).split(",")):
                named += 1
                name = name.strip()
                assert name in extras, f"{path.name} names the extra [{name}]: not in {extras}"
    assert named >= 3


# -- make lab as root -------------------------------------------------------------------------

def make_dry_run(*args: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("no make")
    # outside any outer make (under `make test` MAKEFLAGS would add "make[1]: Entering directory")
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    done = subprocess.run(["make", "--no-print-directory", "-n", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_make_lab_adds_allow_root_for_root_only_and_opens_the_student_notebooks() -> None:
    assert make_dry_run("lab", "USER_ID=0") == ".venv/bin/jupyter lab --allow-root notebooks/"
    assert make_dry_run("lab", "USER_ID=1000") == ".venv/bin/jupyter lab notebooks/"
    as_who = make_dry_run("lab")  # USER_ID from `id -u`
    assert ("--allow-root" in as_who) == (os.getuid() == 0), as_who
