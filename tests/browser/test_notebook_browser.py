"""A notebook with a HintApp, run in JupyterLab in headless Chromium, clicked like a user would.

For each notebook of ``GANCOLOR_BROWSER_NOTEBOOKS`` (conftest.py; default the course's
``solutions/08_interactive_colorization.ipynb``): open a temp copy without outputs in JupyterLab,
Run > Run All Cells, wait until every cell has run and the first HintApp (``.gancolor-hint-app``)
shows; clear the hints the notebook placed in code, click on its photo, and check that the hint
lands at the clicked pixel and the colorization shown in the page changes; then Undo and Clear.
Saves ``<artifacts>/<notebook>.png`` (the page), ``<notebook>_app.png`` (the app) and
``<notebook>_timings.json`` (load, run, per-click latency seen in the browser).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

# Run All of notebook 08 takes 20-60 s on 2 busy CPU cores (it loads data, trains briefly and
# evaluates); a notebook may load or train a model before its app appears.
RUN_ALL_TIMEOUT_MS = 600_000
CLICK_TIMEOUT_MS = 120_000

# A summary of an <img>'s decoded pixels (same-origin blob or data URL: the canvas is readable).
IMAGE_SIGNATURE_JS = """img => {
    if (!img.complete || img.naturalWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    context.drawImage(img, 0, 0);
    const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let hash = 0;
    for (let i = 0; i < data.length; i++) hash = (Math.imul(hash, 31) + data[i]) >>> 0;
    return canvas.width + 'x' + canvas.height + ':' + hash;
}"""

# Wait until an <img>'s pixels differ from (or equal) a signature.
IMAGE_CHANGED_JS = "([img, old, fn]) => { const s = eval(fn)(img); return s !== null && s !== old; }"
IMAGE_EQUALS_JS = "([img, want, fn]) => eval(fn)(img) === want"


def _wait_kernel_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the notebook's kernel is started and idle (answering a "Select Kernel" dialog
    with the notebook's own kernel, should one appear despite the test's settings)."""
    dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        if dialog.count() and dialog.is_visible():
            dialog.get_by_role("button", name="Select").click()
        status = page.locator(".jp-Notebook-ExecutionIndicator").first
        kernel = page.locator(".jp-KernelName, .jp-Toolbar-kernelName").first
        if (status.count() and status.get_attribute("data-status") == "idle" and kernel.count()
                and "No Kernel" not in kernel.inner_text()):
            return
        page.wait_for_timeout(250)
    raise TimeoutError(f"the kernel was not idle within {timeout_ms / 1000:.0f} s")


def _run_all_cells(page) -> None:
    """Run > Run All Cells, through the menu bar like a user."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()


def _wait_run_all_done(page, app, timeout_ms: int = RUN_ALL_TIMEOUT_MS) -> float | None:
    """Wait until Run All has run every code cell: each prompt shows an execution count, none
    ``[*]`` (the copy under test has no stored counts: conftest.py). Fails early, with the error
    outputs, when Run All stopped at an error (the cells after it stay unrun). Returns the seconds
    until ``app`` (a locator) was first seen visible, None if it was not."""
    prompts = page.locator(".jp-CodeCell .jp-InputArea-prompt")
    start = time.monotonic()
    deadline = start + timeout_ms / 1000
    started = stopped_since = app_seen = None
    while time.monotonic() < deadline:
        if app_seen is None and app.is_visible():
            app_seen = round(time.monotonic() - start, 2)
        texts = prompts.all_inner_texts()
        queued = sum("*" in t for t in texts)
        unrun = sum(not re.search(r"\d", t) and "*" not in t for t in texts)
        if texts and not queued and not unrun:
            return app_seen
        if queued:
            started, stopped_since = True, None
        elif started:  # nothing queued but cells unrun: stopped at an error, or between two states
            stopped_since = stopped_since or time.monotonic()
            if time.monotonic() - stopped_since > 10:
                raise AssertionError(f"Run All stopped with {unrun} of {len(texts)} code cells unrun: "
                                     f"{_error_outputs(page)}")
        page.wait_for_timeout(500)
    raise TimeoutError(f"Run All did not finish within {timeout_ms / 1000:.0f} s "
                       f"({sum('*' in t for t in prompts.all_inner_texts())} cells still queued)")


def _signature(page, image) -> str | None:
    return image.evaluate(IMAGE_SIGNATURE_JS)


def _error_outputs(page) -> list[str]:
    texts = page.locator(".jp-OutputArea-output").all_inner_texts()
    return [t for t in texts if "Traceback" in t or "Error displaying widget" in t
            or re.search(r"^\w*Error\b", t, re.M)]


def test_hint_app_in_jupyterlab(browser, lab_server, notebook_copy: str, artifacts_dir: Path) -> None:
    stem = Path(notebook_copy).stem
    for stale in ("_failure.png", "_console.log", "_jupyterlab.log"):  # of an earlier failed run
        (artifacts_dir / f"{stem}{stale}").unlink(missing_ok=True)
    timings: dict[str, object] = {"notebook": notebook_copy}
    console: list[str] = []
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    page = context.new_page()
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    try:
        start = time.perf_counter()
        page.goto(lab_server.lab_url(notebook_copy), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=120_000)
        _wait_kernel_idle(page)
        timings["open_s"] = round(time.perf_counter() - start, 2)

        start = time.perf_counter()
        _run_all_cells(page)
        app = page.locator(".gancolor-hint-app").first
        # the whole notebook, not just until the app shows: later cells may use it (notebook 08
        # places hints in code)
        timings["run_to_app_s"] = _wait_run_all_done(page, app)
        timings["run_all_s"] = round(time.perf_counter() - start, 2)
        app.wait_for(state="visible", timeout=CLICK_TIMEOUT_MS)
        photo = app.locator("img.gancolor-hint-input")
        result = app.locator("img.gancolor-hint-result")
        hints = app.locator(".gancolor-hint-list")
        status = app.locator(".gancolor-hint-status")
        page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=result.element_handle(),
                               timeout=CLICK_TIMEOUT_MS)
        assert not _error_outputs(page), _error_outputs(page)
        app.scroll_into_view_if_needed()
        if not hints.inner_text().startswith("no hints"):  # start from no hints: Clear
            before = _signature(page, result)
            app.get_by_role("button", name="Clear").click()
            page.wait_for_function("el => el.textContent.startsWith('no hints')", arg=hints.element_handle(),
                                   timeout=CLICK_TIMEOUT_MS)
            page.wait_for_function(IMAGE_CHANGED_JS, timeout=CLICK_TIMEOUT_MS,
                                   arg=[result.element_handle(), before, IMAGE_SIGNATURE_JS])
        page.wait_for_function("el => / px, 0 hints, /.test(el.textContent)", arg=status.element_handle(),
                               timeout=CLICK_TIMEOUT_MS)
        size = re.search(r"(\d+)x(\d+) px", status.inner_text())
        assert size, f"unexpected status line {status.inner_text()!r}"
        width, height = int(size.group(1)), int(size.group(2))

        photo.scroll_into_view_if_needed()
        original = _signature(page, result)
        assert original is not None
        latencies = []
        clicks = [(0.30, 0.40), (0.65, 0.25), (0.50, 0.80)]
        for n, (fx, fy) in enumerate(clicks, start=1):
            if n == 2:  # the second hint in green, from the palette
                app.locator("button[title='#27ae60']").click()
                page.wait_for_function("el => el.value === '#27ae60'",
                                       arg=app.locator("input[type='color']").element_handle(),
                                       timeout=CLICK_TIMEOUT_MS)
            box = photo.bounding_box()
            before = _signature(page, result)
            clicked = time.perf_counter()
            photo.click(position={"x": fx * box["width"], "y": fy * box["height"]})
            page.wait_for_function(IMAGE_CHANGED_JS, timeout=CLICK_TIMEOUT_MS,
                                   arg=[result.element_handle(), before, IMAGE_SIGNATURE_JS])
            latencies.append(round(time.perf_counter() - clicked, 3))
            page.wait_for_function(f"el => el.textContent.startsWith('{n} hint')", arg=hints.element_handle(),
                                   timeout=CLICK_TIMEOUT_MS)
            # the hint lands on the clicked pixel, to one pixel *of the display*: the browser rounds the
            # click to a screen pixel, which covers width / shown-width pixels of the image (1.6 for a
            # 512-px photo shown 320 px wide), and the app rounds to an image pixel
            x, y = map(int, re.findall(r"\((\d+), (\d+)\)", hints.inner_text())[-1])
            tolerance = max(1.5, 0.5 + width / box["width"])
            assert abs(x - fx * width) <= tolerance and abs(y - fy * height) <= tolerance, \
                (x, y, fx, fy, width, height, box["width"])
        colours = re.findall(r"#[0-9a-f]{6}", hints.inner_text())
        assert colours[1:] == ["#27ae60", "#27ae60"] and colours[0] != "#27ae60", hints.inner_text()
        timings["click_to_new_image_s"] = latencies
        timings["colorize_s_in_kernel"] = status.inner_text()
        page.screenshot(path=str(artifacts_dir / f"{stem}.png"), full_page=False)
        app.screenshot(path=str(artifacts_dir / f"{stem}_app.png"))

        before = _signature(page, result)
        app.get_by_role("button", name="Undo").click()
        page.wait_for_function(f"el => el.textContent.startsWith('{len(clicks) - 1} hints')",
                               arg=hints.element_handle(), timeout=CLICK_TIMEOUT_MS)
        page.wait_for_function(IMAGE_CHANGED_JS, arg=[result.element_handle(), before, IMAGE_SIGNATURE_JS],
                               timeout=CLICK_TIMEOUT_MS)
        app.get_by_role("button", name="Clear").click()
        page.wait_for_function("el => el.textContent.startsWith('no hints')", arg=hints.element_handle(),
                               timeout=CLICK_TIMEOUT_MS)
        # no hints again: the same colorization as at the start, pixel for pixel
        page.wait_for_function(IMAGE_EQUALS_JS, arg=[result.element_handle(), original, IMAGE_SIGNATURE_JS],
                               timeout=CLICK_TIMEOUT_MS)
        assert not status.inner_text().startswith("error"), status.inner_text()
        assert not _error_outputs(page), _error_outputs(page)
    except Exception:
        page.screenshot(path=str(artifacts_dir / f"{stem}_failure.png"))
        (artifacts_dir / f"{stem}_console.log").write_text("\n".join(console))
        (artifacts_dir / f"{stem}_jupyterlab.log").write_text(lab_server.log_tail(400))
        raise
    finally:
        (artifacts_dir / f"{stem}_timings.json").write_text(json.dumps(timings, indent=2) + "\n")
        context.close()
    print(json.dumps(timings))
