"""Real-browser tests: JupyterLab on 127.0.0.1 and headless Chromium driven by Playwright.

Run with ``make test-browser`` (it installs Chromium and Playwright first); excluded from
``pytest tests`` by the ``browser`` marker (pyproject.toml). Settings, by environment variable:

- ``GANCOLOR_BROWSER_NOTEBOOKS``: the notebooks to test, paths relative to the repository,
  separated by ``:`` (default: the course's ``solutions/08_interactive_colorization.ipynb``);
- ``GANCOLOR_CHROMIUM``: the browser binary (default ``/usr/bin/chromium``, Debian's package);
- ``GANCOLOR_BROWSER_ARTIFACTS``: where screenshots and timings go (default ``build/browser``).

Nothing is downloaded: Playwright drives the system Chromium (``executable_path``), never a
browser build of its own. A missing browser or Playwright *fails* the tests, with what to install.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# The course notebook with the HintApp, in its solution version: the student version (notebooks/)
# stops Run All at its first unsolved exercise.
DEFAULT_NOTEBOOK = "solutions/08_interactive_colorization.ipynb"

# Chromium's own background traffic is refused on a closed network: turn it off (and the sandbox,
# which needs user namespaces that root in a container does not get).
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-default-apps", "--disable-extensions",
]

# JupyterLab user settings for the test: start the notebook's kernel without the "Select Kernel"
# dialog; every cell in the page (no windowing: a long notebook's cells far from the viewport are
# otherwise left out of the DOM or not laid out); no news or update checks (they pop up notifications).
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings":
        {"autoStartDefaultKernel": True, "windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}


def notebook_paths() -> list[str]:
    """The notebooks under test (``GANCOLOR_BROWSER_NOTEBOOKS``), relative to the repository."""
    value = os.environ.get("GANCOLOR_BROWSER_NOTEBOOKS", "").strip()
    return [p for p in value.split(":") if p] if value else [DEFAULT_NOTEBOOK]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that uses ``notebook_copy`` runs once per notebook under test."""
    if "notebook_copy" in metafunc.fixturenames:
        metafunc.parametrize("notebook_copy", notebook_paths(), indirect=True)


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    path = Path(os.environ.get("GANCOLOR_BROWSER_ARTIFACTS", REPO_ROOT / "build" / "browser"))
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("GANCOLOR_CHROMIUM", "/usr/bin/chromium")
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"no Chromium at {path}: install Debian's package (apt-get install -y chromium, as "
                    "root; `make test-browser` does) or set GANCOLOR_CHROMIUM to a Chromium binary",
                    pytrace=False)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright for Python is missing: `make test-browser` installs it "
                    "(pip install playwright, pinned in constraints.txt)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A running JupyterLab: its base URL, token and root folder (a temp folder)."""

    url: str
    token: str
    root: Path
    log: Path

    def lab_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}&reset"

    def log_tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory):
    """JupyterLab of this venv on 127.0.0.1, a free port, a random token, in a temp folder (the test
    copies its notebook there, so the repository's files are never executed in place or saved)."""
    base = tmp_path_factory.mktemp("lab")
    root, settings, runtime = base / "root", base / "settings", base / "runtime"
    for folder in (root, settings, runtime):
        folder.mkdir()
    for name, values in LAB_SETTINGS.items():
        (settings / name).parent.mkdir(parents=True, exist_ok=True)
        (settings / name).write_text(json.dumps(values))
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"), JUPYTER_RUNTIME_DIR=str(runtime),
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"), PYTHONUNBUFFERED="1")
    env.pop("JUPYTER_TOKEN", None)
    log = base / "jupyterlab.log"
    command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
               f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
               "--ServerApp.open_browser=False", "--LabApp.extension_manager=readonly"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # CI and this machine run as root
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = LabServer(f"http://127.0.0.1:{port}", token, root, log)
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                pytest.fail(f"JupyterLab exited with {process.returncode}:\n{server.log_tail()}",
                            pytrace=False)
            try:
                with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within 90 s:\n{server.log_tail()}", pytrace=False)
            time.sleep(0.3)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _without_outputs(notebook: dict) -> dict:
    """The notebook with no stored outputs, execution counts or widget state: every prompt reads
    ``[ ]`` until Run All reaches its cell, and no saved (dead) widget view is on the page."""
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    notebook.get("metadata", {}).pop("widgets", None)
    return notebook


@pytest.fixture
def notebook_copy(lab_server: LabServer, request: pytest.FixtureRequest) -> str:
    """Copy the notebook under test (a path of :func:`notebook_paths`), without its outputs, into
    the server's folder; returns its name there."""
    source = REPO_ROOT / request.param
    if not source.is_file():
        pytest.fail(f"no notebook {source}", pytrace=False)
    notebook = _without_outputs(json.loads(source.read_text(encoding="utf-8")))
    (lab_server.root / source.name).write_text(json.dumps(notebook, indent=1) + "\n", encoding="utf-8")
    return source.name
