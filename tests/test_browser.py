"""Every notebook as it is used: a real JupyterLab server, a real (headless) Chromium, every widget moved.

For each notebook under notebooks/ (discovered, so a new notebook is tested unedited) this module
opens JupyterLab, runs all cells from the UI, asserts that no cell shows an error and every code cell
ran, moves every ipywidgets control the way a person would (drag a slider, pick a dropdown option,
type into a text box and press Enter, click a button) and asserts that the output it drives changed,
checks that the controls are readable on a projector (a description on each, plots at least 600 px
wide), and saves a full-page screenshot to artifacts/browser/ (git-ignored). A student-view test opens
the built student version of 01_perceptron: the exercise cells show the `raise NotImplementedError()`
stub and the check cells fail with the course's message.

The browser is the system's Chromium (Debian: `apt-get install chromium`), driven by Playwright with
`executable_path`; Playwright's own browser download is never used. Outside CI the module skips when
no Chromium is found; with CI=true that is a failure. One JupyterLab server serves the repository
for the whole module; saving is refused by the server (autosave is off too), so the notebooks on
disk are never written, and the server and its kernels are stopped whatever happens.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS
from utils.grading import build_student, is_solution, is_test
from utils.paths import REPO_ROOT

pytestmark = pytest.mark.xdist_group(
    "browser"
)  # one worker runs the module: one server, one browser

IN_CI = os.environ.get("CI", "").lower() == "true"
INSTALL_HINT = (
    "the browser tests need Chromium: `sudo apt-get install chromium` (Debian/Ubuntu), "
    "or point $COURSE_CHROMIUM at a Chromium/Chrome binary; `pip install -r requirements.txt` "
    "installs Playwright (no `playwright install` needed)"
)
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO_ROOT / "artifacts" / "browser"
VIEWPORT = {"width": 1366, "height": 900}  # a laptop on a projector
MIN_PLOT_WIDTH = 600  # px, as displayed
RUN_ALL_TIMEOUT = float(
    os.environ.get("COURSE_BROWSER_TIMEOUT", 900)
)  # s per notebook (loaded CI machines)
WIDGET_TIMEOUT = 300  # s for one control's output to update
QUIET = 3.0  # s of idle kernel with no change: the control drove nothing


def _find_chromium():
    explicit = os.environ.get("COURSE_CHROMIUM")
    if explicit:
        return shutil.which(explicit) or (explicit if os.access(explicit, os.X_OK) else None)
    return next(filter(None, (shutil.which(n) for n in ("chromium", "chromium-browser"))), None)


CHROMIUM = _find_chromium()
try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - requirements.txt installs it
    sync_playwright = None

if not IN_CI and (CHROMIUM is None or sync_playwright is None):
    pytest.skip(
        ("no Chromium found: " if CHROMIUM is None else "Playwright is not installed: ")
        + INSTALL_HINT,
        allow_module_level=True,
    )


# ---------------------------------------------------------------------------------------------------
# The JupyterLab server
# ---------------------------------------------------------------------------------------------------

# Loaded by the server (--config): refuse every save, so neither autosave nor a stray keystroke can
# write the instructor notebooks other people are editing; keep the checkpoint JupyterLab makes when
# it opens a notebook in the test's temporary folder, not in notebooks/.ipynb_checkpoints.
SERVER_CONFIG = """\
from tornado.web import HTTPError


def _refuse_save(model, path, contents_manager, **kwargs):
    raise HTTPError(403, "browser tests: saving is disabled")


c.FileContentsManager.pre_save_hook = _refuse_save
c.FileCheckpoints.checkpoint_dir = {checkpoints!r}  # absolute: one folder for every notebook
"""

# JupyterLab user settings for the test server: every cell attached to the page (so every widget is
# found and the screenshot is complete), no autosave, no news toast over the notebook.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


class Lab:
    def __init__(self, proc, port, token, log_path):
        self.proc, self.port, self.token, self.log_path = proc, port, token, log_path
        self.base = f"http://127.0.0.1:{port}"

    def api(self, method, path, timeout=30):
        req = urllib.request.Request(
            f"{self.base}{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(req, timeout=timeout) as r:
            body = r.read()
        return json.loads(body) if body else None

    def url(self, rel_path, workspace):
        return f"{self.base}/lab/workspaces/{workspace}/tree/{rel_path}?token={self.token}"

    def log_tail(self, n=40):
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid):
    """Every process below `pid` (kernels run in sessions of their own, so a process group is not enough)."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _start_lab(tmp):
    (tmp / "runtime").mkdir()
    config = tmp / "jupyter_server_config.py"
    config.write_text(SERVER_CONFIG.format(checkpoints=str(tmp / "checkpoints")))
    for name, values in LAB_SETTINGS.items():
        target = tmp / "user-settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp / "runtime"))
    last_error = ""
    for attempt in range(3):  # the free port can be taken between choosing it and binding it
        port, token = _free_port(), secrets.token_hex(24)
        log_path = tmp / f"server-{attempt}.log"
        cmd = [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--port-retries=0",
            f"--IdentityProvider.token={token}",
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={REPO_ROOT}",
            f"--config={config}",
            f"--LabApp.user_settings_dir={tmp / 'user-settings'}",
            f"--LabApp.workspaces_dir={tmp / 'workspaces'}",
        ]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        lab = Lab(proc, port, token, log_path)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                lab.api("GET", "/api/status", timeout=5)
                return lab
            except (urllib.error.URLError, OSError):
                time.sleep(0.5)
        _stop_lab(lab)
        last_error = lab.log_tail()
    raise RuntimeError(f"jupyter lab did not start:\n{last_error}")


def _stop_lab(lab):
    """Shut the server down cleanly (it stops its kernels); kill whatever is left; report leftovers."""
    proc = lab.proc
    leftovers = _descendants(proc.pid) if proc.poll() is None else []
    if proc.poll() is None:
        try:
            lab.api("POST", "/api/shutdown", timeout=10)
        except (urllib.error.URLError, OSError):
            pass
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=15)
                    break
                except subprocess.TimeoutExpired:
                    continue
    for pid in leftovers:  # kernels and anything they started
        if _alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in leftovers):
        time.sleep(0.2)
    return [p for p in leftovers if _alive(p)]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    lab = _start_lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield lab
    finally:
        left = _stop_lab(lab)
        assert lab.proc.poll() is not None, "jupyter lab is still running"
        assert not left, f"processes left behind by jupyter lab: {left}"


@pytest.fixture(scope="module")
def browser():
    if (
        CHROMIUM is None or sync_playwright is None
    ):  # only reached in CI (elsewhere the module skips)
        pytest.fail(
            ("no Chromium found: " if CHROMIUM is None else "Playwright is not installed: ")
            + INSTALL_HINT
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# ---------------------------------------------------------------------------------------------------
# Driving a notebook in the page
# ---------------------------------------------------------------------------------------------------

# Installed once the notebook is open: `window.__course` holds the panel, its kernel's status and a
# count of the kernel's busy periods (so a test can tell "the kernel did something and finished").
INSTALL_JS = """(path) => {
    const app = window.jupyterapp;
    const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path);
    if (!panel) return false;
    app.shell.activateById(panel.id);
    const c = window.__course = {panel, busy: 0, run: null};
    c.status = () => { const s = panel.sessionContext.session; return s && s.kernel ? s.kernel.status : 'none'; };
    panel.sessionContext.statusChanged.connect((_, s) => { if (s === 'busy') c.busy += 1; });
    return true;
}"""

READY_JS = """() => { const c = window.__course; return c && c.panel.context.isReady && c.panel.sessionContext.isReady
    && c.status() === 'idle' && c.panel.content.widgets.length === c.panel.content.model.cells.length; }"""

CELLS_JS = """() => { const cells = window.__course.panel.content.model.cells;
    return Array.from({length: cells.length}, (_, i) => cells.get(i).toJSON()); }"""

# Start a command without awaiting it in `evaluate` (that would have no timeout); `wait_for_function`
# then waits on `__course.run.done` with one.
COMMAND_JS = """(command) => { const c = window.__course; c.run = {done: false};
    window.jupyterapp.commands.execute(command).then(r => { c.run = {done: true, result: r}; },
                                                     e => { c.run = {done: true, error: String(e)}; }); }"""

# What a control drives: the text and images of the widget outputs in its cell.
SIGNATURE_JS = """(cell) => JSON.stringify(Array.from(cell.querySelectorAll('.widget-output')).map(o => [
    o.innerText, Array.from(o.querySelectorAll('img')).map(i => i.src),
    Array.from(o.querySelectorAll('svg')).map(s => s.outerHTML.length)]))"""

CONTROLS = ".widget-hslider, .widget-dropdown, .widget-text, .widget-textarea, .widget-checkbox, .widget-button"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _kind(classes):
    for cls, kind in [
        ("widget-hslider", "slider"),
        ("widget-dropdown", "dropdown"),
        ("widget-textarea", "text"),
        ("widget-text", "text"),
        ("widget-checkbox", "checkbox"),
        ("widget-button", "button"),
    ]:
        if cls in classes.split():
            return kind
    return "control"


def _open(page, lab, rel_path):
    workspace = "t" + secrets.token_hex(6)  # a fresh workspace: only this notebook opens
    page.goto(lab.url(rel_path, workspace), timeout=180_000)
    page.wait_for_function(
        "(p) => window.jupyterapp && Array.from(window.jupyterapp.shell.widgets('main'))"
        ".some(w => w.context && w.context.path === p)",
        arg=rel_path,
        timeout=180_000,
        polling=500,
    )
    assert page.evaluate(INSTALL_JS, rel_path), f"{rel_path} did not open"
    page.wait_for_function(READY_JS, timeout=300_000, polling=500)


def _wait_idle(page, timeout):
    page.wait_for_function(
        "() => { const s = window.__course.status(); "
        "if (s === 'dead') throw new Error('the kernel died'); return s === 'idle'; }",
        timeout=timeout * 1000,
        polling=250,
    )


def _command(page, command, timeout):
    """Run a JupyterLab command (e.g. notebook:run-all-cells) and wait until it and the kernel finish."""
    page.evaluate(COMMAND_JS, command)
    page.wait_for_function("() => window.__course.run.done", timeout=timeout * 1000, polling=500)
    run = page.evaluate("() => window.__course.run")
    assert "error" not in run, f"{command} failed in JupyterLab: {run['error']}"
    _wait_idle(page, timeout)
    return run.get("result")


def _cells(page):
    return page.evaluate(CELLS_JS)


def _text(value):
    return "".join(value) if isinstance(value, list) else value or ""


def _error_outputs(cells):
    found = []
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
                found.append((i, out.get("ename"), out.get("evalue"), trace))
    return found


def _close(page, lab):
    """Close the page, then end the notebook's session and kernel through the server's API."""
    page.context.close()
    for session in lab.api("GET", "/api/sessions"):
        lab.api("DELETE", f"/api/sessions/{session['id']}", timeout=60)
    for kernel in lab.api("GET", "/api/kernels"):
        lab.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=60)


def _screenshot(page, name):
    """Full-page screenshot: the window is made as tall as the notebook, then restored."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    extra = page.evaluate("""() => { const o = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
        if (!o) return 0; o.scrollTop = 0; return o.scrollHeight - o.clientHeight; }""")
    page.set_viewport_size(
        {"width": VIEWPORT["width"], "height": min(VIEWPORT["height"] + max(extra, 0), 30_000)}
    )
    page.wait_for_timeout(1000)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(VIEWPORT)
    return path


def _new_page(browser):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(60_000)
    return context.new_page()


# ---------------------------------------------------------------------------------------------------
# Moving the controls
# ---------------------------------------------------------------------------------------------------


def _settle(page, cell, before, busy_before, timeout):
    """Wait for the output to change with the kernel idle (True), or for the kernel to have been busy and
    then idle for QUIET seconds with no change (False); False too if the kernel never became busy."""
    start = time.monotonic()
    idle_since = None
    while time.monotonic() - start < timeout:
        state = page.evaluate(
            "() => ({busy: window.__course.busy, status: window.__course.status()})"
        )
        if state["status"] == "dead":
            raise AssertionError("the kernel died")
        changed = cell.evaluate(SIGNATURE_JS) != before
        if state["status"] == "idle":
            if changed:
                page.wait_for_timeout(500)  # let the new output finish rendering
                return True
            if state["busy"] > busy_before:
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > QUIET:
                    return False
            elif time.monotonic() - start > 60:  # the change never reached the kernel
                return False
        else:
            idle_since = None
        page.wait_for_timeout(250)
    raise AssertionError(f"the output was still updating after {timeout} s")


def _slider_value(control):
    readout = control.locator(".widget-readout")
    return readout.first.inner_text().strip() if readout.count() else None


def _drag_slider(page, control):
    """Drag the handle to a quarter or three quarters of the track (whichever is further away)."""
    handle, track = control.locator(".noUi-handle").first, control.locator(".noUi-target").first
    handle.scroll_into_view_if_needed()
    h, t = handle.bounding_box(), track.bounding_box()
    x, y = h["x"] + h["width"] / 2, h["y"] + h["height"] / 2
    target = t["x"] + t["width"] * (0.25 if (x - t["x"]) / t["width"] > 0.5 else 0.75)
    before = _slider_value(control)
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(target, y, steps=12)
    page.mouse.up()
    after = _slider_value(control)
    assert after != before, f"dragging the slider did not move it (value stays {before})"
    return f"dragged {before} -> {after}"


def _pick_option(control):
    select = control.locator("select").first
    select.scroll_into_view_if_needed()
    options = [" ".join(o.split()) for o in select.locator("option").all_inner_texts()]
    current = select.evaluate("s => s.selectedIndex")
    choice = (current + 1) % len(options)
    assert len(options) > 1, "a dropdown with a single option"
    select.click()
    select.select_option(index=choice)
    return f"picked {options[current]!r} -> {options[choice]!r}"


def _type_text(page, control):
    """Click into the box, go to the end, type a few words (and press Enter in a one-line box)."""
    box = control.locator("input, textarea").first
    box.scroll_into_view_if_needed()
    box.click()
    box.press("End")
    page.keyboard.type(" and a tiny robot", delay=20)
    if box.evaluate("b => b.tagName") == "INPUT":
        box.press("Enter")
    return f"typed {box.input_value()!r}"


def _click(control):
    target = (
        control.locator("input").first
        if "widget-checkbox" in (control.get_attribute("class") or "")
        else control
    )
    target.scroll_into_view_if_needed()
    target.click()
    return "clicked"


def _move(page, control, kind):
    """Change one control as a person would; return what was done."""
    if kind == "slider":
        return _drag_slider(page, control)
    if kind == "dropdown":
        return _pick_option(control)
    if kind == "text":
        return _type_text(page, control)
    return _click(control)


def _description(control, kind):
    """The text a viewer reads next to the control (a button's is on it; a checkbox's is after the box)."""
    selector = {"button": None, "checkbox": ".widget-label-basic"}.get(kind, ".widget-label")
    label = control if selector is None else control.locator(selector).first
    if selector and not control.locator(selector).count():
        return ""
    return " ".join(label.inner_text().replace("\u200b", " ").split())


def _exercise_controls(page, stem):
    """Move every control of every cell; return (one line per control, problems). Each cell with controls is
    saved as artifacts/browser/<stem>-cell<i>.png once its controls have been moved."""
    lines, problems = [], []
    for old in ARTIFACTS.glob(
        f"{stem}-cell*.png"
    ):  # from an earlier run (cells move as notebooks change)
        old.unlink()
    cells = page.locator(".jp-Notebook .jp-Cell")  # cell i here is cell i of the notebook
    for i in range(cells.count()):
        cell = cells.nth(i)
        if "jp-CodeCell" not in (cell.get_attribute("class") or ""):
            continue
        controls = cell.locator(CONTROLS)
        n = controls.count()
        if not n:
            continue
        buttons = cell.locator(".widget-button")
        for j in range(n):
            control = controls.nth(j)
            kind = _kind(control.get_attribute("class") or "")
            label = _description(control, kind)
            name = f"cell {i}, {kind} {label!r}"
            if not label:
                problems.append(f"{name}: no description (a control on a projector needs a label)")
            before = cell.evaluate(SIGNATURE_JS)
            busy = page.evaluate("() => window.__course.busy")
            try:
                action = _move(page, control, kind)
                changed = _settle(page, cell, before, busy, WIDGET_TIMEOUT)
                if (
                    not changed and kind != "button" and buttons.count()
                ):  # e.g. a prompt box used by a button
                    busy = page.evaluate("() => window.__course.busy")
                    _click(buttons.first)
                    action += f", then clicked {buttons.first.inner_text().strip()!r}"
                    changed = _settle(page, cell, before, busy, WIDGET_TIMEOUT)
            except Exception as err:  # noqa: BLE001 - reported with the control's name
                problems.append(
                    f"{name}: {type(err).__name__}: {(str(err).splitlines() or [''])[0]}"
                )
                continue
            errors = _error_outputs(_cells(page))
            shown = cell.evaluate(SIGNATURE_JS)
            if errors:
                problems.append(
                    f"{name}: {action}: the cell now shows an error: {errors[0][1]}: {errors[0][2]}"
                )
            elif (
                "Traceback (most recent call last)" in shown
            ):  # raised inside the widget's callback
                problems.append(f"{name}: {action}: its output now shows a traceback")
            elif not changed:
                problems.append(
                    f"{name}: {action}, but its output did not change (it still shows the old plot/text)"
                )
            lines.append(f"{name}: {action}: output {'changed' if changed else 'UNCHANGED'}")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        cell.screenshot(path=str(ARTIFACTS / f"{stem}-cell{i}.png"))
    return lines, problems


def _narrow_plots(page):
    return page.evaluate(
        """(min) => {
        const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')), narrow = [];
        cells.forEach((cell, i) => cell.querySelectorAll('.jp-OutputArea-output .jp-RenderedImage img, .jp-OutputArea-output .jp-RenderedSVG svg')
            .forEach(img => { const w = img.getBoundingClientRect().width;
                              if (w > 0 && w < min) narrow.push([i, Math.round(w), img.naturalWidth || null]); }));
        return narrow; }""",
        MIN_PLOT_WIDTH,
    )


# ---------------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------------


def _quietly(fn, *args):
    """Clean-up that must not hide the test's own failure: report a problem, return None."""
    try:
        return fn(*args)
    except Exception as err:  # noqa: BLE001
        print(f"warning: {fn.__name__} failed: {type(err).__name__}: {err}")
        return None


def _report(request, line):
    print(line)
    request.node.user_properties.append(("browser", line))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_in_jupyterlab(notebook, browser, lab, request):
    rel_path = notebook.relative_to(REPO_ROOT).as_posix()
    page = _new_page(browser)
    start = time.monotonic()
    timings, shot = {}, None
    try:
        _open(page, lab, rel_path)
        timings["open"] = time.monotonic() - start
        _command(page, "notebook:run-all-cells", RUN_ALL_TIMEOUT)
        timings["run all"] = time.monotonic() - start - timings["open"]
        cells = _cells(page)
        errors = _error_outputs(cells)
        assert not errors, "cells show errors in JupyterLab:\n" + "\n\n".join(
            f"cell {i}: {name}: {value}\n{trace[-1500:]}" for i, name, value, trace in errors
        )
        not_run = [
            i
            for i, c in enumerate(cells)
            if c["cell_type"] == "code"
            and _text(c["source"]).strip()
            and not c.get("execution_count")
        ]
        assert not not_run, f"code cells without an execution count (did not run): {not_run}"

        t = time.monotonic()
        lines, problems = _exercise_controls(page, notebook.stem)
        timings[f"{len(lines)} controls moved in"] = time.monotonic() - t
        assert lines, (
            "no widget controls found in JupyterLab (every notebook has at least one widget)"
        )
        problems += [
            f"cell {i}: a plot {w} px wide on screen ({natural} px as drawn); at least {MIN_PLOT_WIDTH} px "
            "for a projector"
            for i, w, natural in _narrow_plots(page)
        ]
        for line in lines:
            print("  " + line)
        assert not problems, "\n".join(problems)
    finally:
        shot = _quietly(_screenshot, page, notebook.stem)
        _quietly(_close, page, lab)
        timings["total"] = time.monotonic() - start
        _report(
            request,
            f"{notebook.stem}: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
            + (f"; screenshot {shot.relative_to(REPO_ROOT)}" if shot else ""),
        )


def test_student_view_of_01_perceptron(browser, lab, request):
    """The built student version: stubs in the exercise cells, the course's message in the check cells."""
    source = REPO_ROOT / "notebooks" / "01_perceptron.ipynb"
    out = (
        REPO_ROOT / "build" / f"browser-test-{secrets.token_hex(4)}"
    )  # under the served root; build/ is git-ignored
    made_build = not out.parent.exists()
    (student,) = build_student([source], out)
    nb = nbformat.read(str(student), as_version=4)
    solutions = [i for i, c in enumerate(nb.cells) if is_solution(c)]
    checks = [i for i, c in enumerate(nb.cells) if is_test(c)]
    assert solutions and checks
    page = _new_page(browser)
    start, shot = time.monotonic(), None
    try:
        _open(page, lab, student.relative_to(REPO_ROOT).as_posix())
        cells = page.locator(".jp-Notebook .jp-Cell")
        for i in solutions:  # what the student sees before running anything
            editor = cells.nth(i).locator(".jp-InputArea-editor")
            editor.scroll_into_view_if_needed()
            assert editor.is_visible() and "raise NotImplementedError()" in editor.inner_text(), (
                f"exercise cell {i} does not show the stub"
            )

        # Run all, as a student would: JupyterLab stops at the first failing check...
        _command(page, "notebook:run-all-cells", RUN_ALL_TIMEOUT)
        first = _error_outputs(_cells(page))
        assert first and first[0][0] == checks[0], (
            f"run all should stop at the first check (cell {checks[0]}): {first}"
        )
        # ...then each remaining code cell in turn, as Shift+Enter would, reaches every check.
        for i in range(checks[0] + 1, len(nb.cells)):
            if nb.cells[i].cell_type == "code":
                page.evaluate(
                    "(i) => { const nb = window.__course.panel.content; nb.deselectAll(); nb.activeCellIndex = i; }",
                    i,
                )
                _command(page, "notebook:run-cell", RUN_ALL_TIMEOUT)
        errors = {i: (name, value, trace) for i, name, value, trace in _error_outputs(_cells(page))}
        for i in checks:
            grade_id = nb.cells[i].metadata.nbgrader["grade_id"]
            assert i in errors, f"check cell {i} ({grade_id}) passed on the student version"
            name, value, trace = errors[i]
            assert name == "ExerciseFailure" and "not attempted yet" in value, (
                f"check cell {i} ({grade_id}) shows {name}: {value}, not the course's message"
            )
            assert "checks.py" not in trace and "Traceback" not in trace, (
                f"check cell {i} shows a traceback from inside the checker, not just the message:\n{trace}"
            )
            shown = cells.nth(i).locator(".jp-OutputArea-output").last
            shown.scroll_into_view_if_needed()
            assert "not attempted yet" in shown.inner_text(), (
                f"check cell {i}: the message is not visible"
            )
            print(f"  cell {i} ({grade_id}): {name}: {value}")
    finally:
        shot = _quietly(_screenshot, page, "student_01_perceptron")
        _quietly(_close, page, lab)
        shutil.rmtree(out, ignore_errors=True)
        if made_build:
            _quietly(out.parent.rmdir)  # only if still empty
        _report(
            request,
            f"student view of 01_perceptron: {time.monotonic() - start:.0f} s"
            + (f"; screenshot {shot.relative_to(REPO_ROOT)}" if shot else ""),
        )
