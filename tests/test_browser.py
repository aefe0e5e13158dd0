"""Every notebook as it is used: a real JupyterLab, a real (headless) Chromium, a projector.

For each notebook under notebooks/ (discovered, so a new notebook is tested unedited) this module
opens JupyterLab and runs all cells from the UI once; everything else happens after that one run:

- no cell shows an error and every code cell ran;
- every image in the markdown rendered (non-zero natural size) in the notebook view;
- every ipywidgets control is moved the way a person would (drag a slider, pick a dropdown option,
  type into a text box and press Enter, click a button), its output must change, and the time from
  the control's change to the last change of its visible output is measured and reported per widget
  (median per notebook; reported, never asserted);
- controls are readable on a projector (a description on each, plots at least 600 px wide);
- the notebook's RISE slideshow (jupyterlab-rise's "Open as Reveal Slideshow", command
  `RISE:slideshow`) opens at 1280x720 and is stepped through with Space, every slide, sub-slide and
  fragment; no slide's content, outputs included, may be taller or wider than the screen or hide
  content in a scroll area (a long code line, a wide table). Every cell must carry
  `metadata.slideshow.slide_type`. Screenshots of the title slide and three others (the tallest, one
  with a widget, one with a figure or plot) go to artifacts/slides/, the slide count and the largest
  slide's height to the end-of-run report;
- a full-page screenshot goes to artifacts/browser/.

The untouched student builds of 01_perceptron and 07_attention are run the same way: Run All
reaches the last cell, the only errors are the checks (tagged `raises-exception`) saying "not
attempted yet", and screenshots of such a check and of an opened Hint go to artifacts/browser/.

The browser is the system's Chromium (Debian: `apt-get install chromium`), driven by Playwright with
`executable_path`; Playwright's own browser download is never used. Outside CI the module skips when
no Chromium is found; with CI=true that is a failure. One JupyterLab server serves the repository
for the whole module; saving is refused by the server (autosave is off too), so the notebooks on
disk are never written, and the server and its kernels are stopped whatever happens. The slideshow
therefore gets the executed notebook from the page, not from disk (see `_open_slideshow`).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
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
from utils.paths import NOTEBOOK_DIR, REPO_ROOT

# Two lanes of notebooks (alternating, so each lane has about half the run time): the xdist worker
# that takes a lane runs it in order with one JupyterLab server and one Chromium of its own.
LANES = 2
BROWSER_CASES = [
    pytest.param(p, id=p.stem, marks=pytest.mark.xdist_group(f"browser-{k % LANES}"))
    for k, p in enumerate(NOTEBOOKS)
]

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
SLIDE_ARTIFACTS = REPO_ROOT / "artifacts" / "slides"
VIEWPORT = {"width": 1366, "height": 900}  # a laptop on a projector
PROJECTOR = {"width": 1280, "height": 720}  # the slideshow
SLIDE_SHOTS = 4  # the title slide and three others
MIN_PLOT_WIDTH = 600  # px, as displayed
RUN_ALL_TIMEOUT = float(os.environ.get("COURSE_BROWSER_TIMEOUT", 900))  # s per notebook (busy CI)
WIDGET_TIMEOUT = 300  # s for one control's output to update
QUIET = 3.0  # s of idle kernel with no change: the control drove nothing
STUDENT_NOTEBOOKS = ["01_perceptron", "07_attention"]
NOT_ATTEMPTED = "not attempted yet"
IMAGE_REF = re.compile(r"!\[[^\]]*\]\([^)\s]+[^)]*\)|<img\b", re.IGNORECASE)


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


# -------------------------------------------------------------------------------------------------
# The JupyterLab server
# -------------------------------------------------------------------------------------------------

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
# found and the screenshot is complete), no autosave, no news toast over the notebook; slides
# change without reveal.js's sliding animation (the slideshow app reads the same settings), so
# each slide is measured and photographed where it stands.
LAB_SETTINGS = {
    "jupyterlab-rise/plugin.jupyterlab-settings": {"transition": "none"},
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
    """Every process below `pid` (kernels run in sessions of their own: a process group is not
    enough)."""
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
    """Shut the server down cleanly (it stops its kernels); kill what is left; report leftovers."""
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


# -------------------------------------------------------------------------------------------------
# Driving a notebook in the page
# -------------------------------------------------------------------------------------------------

# Installed once the notebook is open: `window.__course` holds the panel, its kernel's status and a
# count of the kernel's busy periods (so a test can tell "the kernel did something and finished").
INSTALL_JS = """(path) => {
    const app = window.jupyterapp;
    const panel = Array.from(app.shell.widgets('main'))
        .find(w => w.context && w.context.path === path);
    if (!panel) return false;
    app.shell.activateById(panel.id);
    const c = window.__course = {panel, busy: 0, run: null};
    c.status = () => {
        const s = panel.sessionContext.session;
        return s && s.kernel ? s.kernel.status : 'none';
    };
    panel.sessionContext.statusChanged.connect((_, s) => { if (s === 'busy') c.busy += 1; });
    return true;
}"""

READY_JS = """() => {
    const c = window.__course;
    return c && c.panel.context.isReady && c.panel.sessionContext.isReady
        && c.status() === 'idle'
        && c.panel.content.widgets.length === c.panel.content.model.cells.length;
}"""

CELLS_JS = """() => { const cells = window.__course.panel.content.model.cells;
    return Array.from({length: cells.length}, (_, i) => cells.get(i).toJSON()); }"""

# Start a command without awaiting it in `evaluate` (that would have no timeout);
# `wait_for_function` then waits on `__course.run.done` with one.
COMMAND_JS = """(command) => {
    const c = window.__course;
    c.run = {done: false};
    window.jupyterapp.commands.execute(command).then(
        r => { c.run = {done: true, result: r === undefined ? null : String(r)}; },
        e => { c.run = {done: true, error: String(e)}; });
}"""

# What a control drives: the text and images of the widget outputs in its cell.
SIGNATURE_JS = """(cell) => JSON.stringify(Array.from(cell.querySelectorAll('.widget-output'))
    .map(o => [o.innerText, Array.from(o.querySelectorAll('img')).map(i => i.src),
               Array.from(o.querySelectorAll('svg')).map(s => s.outerHTML.length)]))"""

# Widget response time: a MutationObserver on the cell notes when its widget outputs change; `t0` is
# set just before the event that commits the control's change (mouse up, option picked, Enter,
# click). The response is the time from t0 to the last change of the output (the new plot or text
# in place).
WATCH_JS = """(cell) => {
    const c = window.__course;
    if (c.observer) c.observer.disconnect();
    c.changes = [];
    c.t0 = null;
    const inOutput = n => {
        const e = n.nodeType === 1 ? n : n.parentElement;
        return !!(e && e.closest('.widget-output'));
    };
    c.observer = new MutationObserver(records => {
        if (records.some(r => inOutput(r.target))) c.changes.push(performance.now());
    });
    c.observer.observe(cell, {subtree: true, childList: true, characterData: true,
                              attributes: true, attributeFilter: ['src']});
}"""
MARK_JS = "() => { window.__course.t0 = performance.now(); }"
RESPONSE_JS = """() => {
    const c = window.__course;
    if (c.observer) c.observer.disconnect();
    c.observer = null;
    const after = c.t0 === null ? [] : c.changes.filter(t => t >= c.t0);
    return after.length ? (after[after.length - 1] - c.t0) / 1000 : null;
}"""

CONTROLS = (
    ".widget-hslider, .widget-dropdown, .widget-text, .widget-textarea, .widget-checkbox, "
    ".widget-button"
)
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
    """Wait until the kernel is idle, has been for QUIET seconds and no cell is queued or running.

    Run All's command returns at the first error reply, even from a `raises-exception` cell, while
    the kernel goes on with the cells after it; between two cells the kernel is briefly idle."""
    deadline = time.monotonic() + timeout
    quiet_since, last = None, None
    while time.monotonic() < deadline:
        state = page.evaluate(
            """() => {
            const c = window.__course, cells = c.panel.content.model.cells;
            let running = 0;
            for (let i = 0; i < cells.length; i++) {
                if (cells.get(i).executionState === 'running') running += 1;
            }
            return [c.status(), c.busy, running];
        }"""
        )
        if state[0] == "dead":
            raise AssertionError("the kernel died")
        if state[0] == "idle" and not state[2] and state == last:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= QUIET:
                return
        else:
            quiet_since = None
        last = state
        page.wait_for_timeout(250)
    raise AssertionError(f"the kernel was still busy after {timeout:.0f} s")


def _start_command(page, command, timeout):
    """Run a JupyterLab command and wait until it returns (not for the kernel)."""
    page.evaluate(COMMAND_JS, command)
    page.wait_for_function("() => window.__course.run.done", timeout=timeout * 1000, polling=250)
    run = page.evaluate("() => window.__course.run")
    assert "error" not in run, f"{command} failed in JupyterLab: {run['error']}"
    return run.get("result")


def _command(page, command, timeout):
    """Run a JupyterLab command (e.g. notebook:run-all-cells); wait for it and for the kernel."""
    result = _start_command(page, command, timeout)
    _wait_idle(page, timeout)
    return result


def _cells(page):
    return page.evaluate(CELLS_JS)


def _text(value):
    return "".join(value) if isinstance(value, list) else value or ""


def _first_line(cell, width=70):
    line = next((s.strip() for s in _text(cell.get("source")).splitlines() if s.strip()), "")
    return line if len(line) <= width else line[: width - 3] + "..."


def _error_outputs(cells):
    found = []
    for i, cell in enumerate(cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                trace = ANSI.sub("", "\n".join(out.get("traceback", [])))
                found.append((i, out.get("ename"), out.get("evalue"), trace))
    return found


def _not_run(cells):
    return [
        i
        for i, c in enumerate(cells)
        if c["cell_type"] == "code" and _text(c["source"]).strip() and not c.get("execution_count")
    ]


def _close(page, lab):
    """Close the page (and the slideshow's), then end the sessions and kernels through the API."""
    page.context.close()
    for session in lab.api("GET", "/api/sessions"):
        lab.api("DELETE", f"/api/sessions/{session['id']}", timeout=60)
    for kernel in lab.api("GET", "/api/kernels"):
        lab.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=60)


def _screenshot(page, name):
    """Full-page screenshot: the window is made as tall as the notebook, then restored."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    extra = page.evaluate(
        """() => {
        const o = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer');
        if (!o) return 0;
        o.scrollTop = 0;
        return o.scrollHeight - o.clientHeight;
    }"""
    )
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


def _rel(path):
    return path.relative_to(REPO_ROOT).as_posix()


# -------------------------------------------------------------------------------------------------
# Images in the markdown
# -------------------------------------------------------------------------------------------------

# Each image in a rendered markdown cell, scrolled into view (so a lazily loaded one loads), waited
# for, and reported with its natural size (0 x 0: the browser could not load or decode it).
IMAGES_JS = """async () => {
    const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell'));
    const imgs = Array.from(document.querySelectorAll(
        '.jp-Notebook .jp-MarkdownCell .jp-RenderedMarkdown img'));
    const found = [];
    for (const img of imgs) {
        img.scrollIntoView({block: 'center'});
        const deadline = performance.now() + 15000;
        while (!img.complete && performance.now() < deadline) {
            await new Promise(r => setTimeout(r, 100));
        }
        found.push({cell: cells.indexOf(img.closest('.jp-Cell')), src: img.getAttribute('src'),
                    alt: img.getAttribute('alt') || '', width: img.naturalWidth,
                    height: img.naturalHeight});
    }
    return found;
}"""


def _check_images(page, cells):
    """Every image the markdown refers to is in the page and decoded; returns (count, problems)."""
    refs = {
        i: len(IMAGE_REF.findall(_text(c["source"])))
        for i, c in enumerate(cells)
        if c["cell_type"] == "markdown"
    }
    images = page.evaluate(IMAGES_JS)
    problems = [
        f"cell {im['cell']}: image {im['src']!r} did not render (natural size "
        f"{im['width']} x {im['height']})"
        for im in images
        if not (im["width"] > 0 and im["height"] > 0)
    ]
    shown = {}
    for im in images:
        shown[im["cell"]] = shown.get(im["cell"], 0) + 1
    problems += [
        f"cell {i}: its markdown refers to {n} image(s), the page shows {shown.get(i, 0)}"
        for i, n in refs.items()
        if n > shown.get(i, 0)
    ]
    return len(images), problems


# -------------------------------------------------------------------------------------------------
# Moving the controls
# -------------------------------------------------------------------------------------------------


def _settle(page, cell, before, busy_before, timeout):
    """Wait for the output to change with the kernel idle (True), or for the kernel to have been
    busy and then idle for QUIET seconds with no change (False); False too if the kernel never
    became busy."""
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
        page.wait_for_timeout(100)
    raise AssertionError(f"the output was still updating after {timeout} s")


def _slider_value(control):
    readout = control.locator(".widget-readout")
    return readout.first.inner_text().strip() if readout.count() else None


def _drag_slider(page, control, mark):
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
    mark()
    page.mouse.up()
    after = _slider_value(control)
    assert after != before, f"dragging the slider did not move it (value stays {before})"
    return f"dragged {before} -> {after}"


def _pick_option(control, mark):
    select = control.locator("select").first
    select.scroll_into_view_if_needed()
    options = [" ".join(o.split()) for o in select.locator("option").all_inner_texts()]
    current = select.evaluate("s => s.selectedIndex")
    choice = (current + 1) % len(options)
    assert len(options) > 1, "a dropdown with a single option"
    select.click()
    mark()
    select.select_option(index=choice)
    return f"picked {options[current]!r} -> {options[choice]!r}"


def _type_text(page, control, mark):
    """Click into the box, go to the end, type a few words (and press Enter in a one-line box)."""
    box = control.locator("input, textarea").first
    box.scroll_into_view_if_needed()
    box.click()
    box.press("End")
    mark()
    page.keyboard.type(" and a tiny robot", delay=20)
    if box.evaluate("b => b.tagName") == "INPUT":
        mark()
        box.press("Enter")
    return f"typed {box.input_value()!r}"


def _click(control, mark):
    target = (
        control.locator("input").first
        if "widget-checkbox" in (control.get_attribute("class") or "")
        else control
    )
    target.scroll_into_view_if_needed()
    mark()
    target.click()
    return "clicked"


def _move(page, control, kind, mark):
    """Change one control as a person would; return what was done."""
    if kind == "slider":
        return _drag_slider(page, control, mark)
    if kind == "dropdown":
        return _pick_option(control, mark)
    if kind == "text":
        return _type_text(page, control, mark)
    return _click(control, mark)


def _description(control, kind):
    """The text a viewer reads next to the control (a button's is on it; a checkbox's is after
    the box)."""
    selector = {"button": None, "checkbox": ".widget-label-basic"}.get(kind, ".widget-label")
    label = control if selector is None else control.locator(selector).first
    if selector and not control.locator(selector).count():
        return ""
    return " ".join(label.inner_text().replace("\u200b", " ").split())


def _exercise_controls(page, stem):
    """Move every control of every cell; return (one line per control, response times, problems).

    Each cell with controls is saved as artifacts/browser/<stem>-cell<i>.png once its controls have
    been moved. A response time is the time from the control's change to the last change of its
    visible output (None when the output did not change)."""
    lines, times, problems = [], [], []
    for old in ARTIFACTS.glob(
        f"{stem}-cell*.png"
    ):  # from an earlier run (cells move as they change)
        old.unlink()
    mark = lambda: page.evaluate(MARK_JS)  # noqa: E731
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
            cell.evaluate(WATCH_JS)
            try:
                action = _move(page, control, kind, mark)
                changed = _settle(page, cell, before, busy, WIDGET_TIMEOUT)
                if not changed and kind != "button" and buttons.count():
                    # e.g. a prompt box used by a button
                    busy = page.evaluate("() => window.__course.busy")
                    _click(buttons.first, mark)
                    action += f", then clicked {buttons.first.inner_text().strip()!r}"
                    changed = _settle(page, cell, before, busy, WIDGET_TIMEOUT)
            except Exception as err:  # noqa: BLE001 - reported with the control's name
                page.evaluate(RESPONSE_JS)
                problems.append(
                    f"{name}: {type(err).__name__}: {(str(err).splitlines() or [''])[0]}"
                )
                continue
            seconds = page.evaluate(RESPONSE_JS) if changed else None
            errors = _error_outputs(_cells(page))
            shown = cell.evaluate(SIGNATURE_JS)
            if errors:
                problems.append(
                    f"{name}: {action}: the cell now shows an error: {errors[0][1]}: {errors[0][2]}"
                )
            elif "Traceback (most recent call last)" in shown:  # raised inside the callback
                problems.append(f"{name}: {action}: its output now shows a traceback")
            elif not changed:
                problems.append(
                    f"{name}: {action}, but its output did not change (it still shows the old "
                    "plot/text)"
                )
            if seconds is not None:
                times.append(seconds)
            lines.append(
                f"{name}: {action}: "
                + (f"output changed in {seconds:.2f} s" if seconds is not None else "")
                + ("output changed" if changed and seconds is None else "")
                + ("" if changed else "output UNCHANGED")
            )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        cell.screenshot(path=str(ARTIFACTS / f"{stem}-cell{i}.png"))
    return lines, times, problems


def _narrow_plots(page):
    return page.evaluate(
        """(min) => {
        const cells = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell')), narrow = [];
        const plots = '.jp-OutputArea-output .jp-RenderedImage img, '
                      + '.jp-OutputArea-output .jp-RenderedSVG svg';
        cells.forEach((cell, i) => cell.querySelectorAll(plots).forEach(img => {
            const w = img.getBoundingClientRect().width;
            if (w > 0 && w < min) narrow.push([i, Math.round(w), img.naturalWidth || null]);
        }));
        return narrow; }""",
        MIN_PLOT_WIDTH,
    )


# -------------------------------------------------------------------------------------------------
# The slideshow
# -------------------------------------------------------------------------------------------------

# Before "Open as Reveal Slideshow": start at the first cell (RISE starts at the selected one), and
# let the command's save succeed without writing (the server refuses saves; the slideshow gets the
# notebook as it is in the page from `_open_slideshow`'s route instead of from disk).
PREPARE_SLIDESHOW_JS = """() => {
    const c = window.__course;
    c.panel.content.activeCellIndex = 0;
    c.panel.context.save = () => Promise.resolve();
    return window.jupyterapp.commands.hasCommand('RISE:slideshow');
}"""

# The vertical section (a slide or sub-slide) on screen.
PRESENT = ".reveal .slides > section.present > section.present"
STATE_JS = (
    "() => { const s = document.querySelector('" + PRESENT + "'); "
    "return s ? s.id + '/' + s.querySelectorAll('.fragment.visible').length : null; }"
)

# The deck as RISE built it: for each slide, its sub-slides with their fragments and the notebook
# cells they show (cells are in notebook order in the page; skipped cells and notes are not shown).
DECK_JS = """(controls) => {
    const all = Array.from(document.querySelectorAll('.reveal .slides .jp-Cell'));
    const shown = c => !c.classList.contains('reveal-skip') && !c.closest('aside.notes');
    return Array.from(document.querySelectorAll('.reveal .slides > section')).map(h =>
        Array.from(h.children).filter(e => e.tagName === 'SECTION').map(v => {
            const cells = Array.from(v.querySelectorAll('.jp-Cell')).filter(shown);
            const count = sel => cells.reduce((n, c) => n + c.querySelectorAll(sel).length, 0);
            return {id: v.id, fragments: v.querySelectorAll('.fragment').length,
                    cells: cells.map(c => all.indexOf(c)), controls: count(controls),
                    figures: count('.jp-MarkdownCell img'),
                    plots: count('.jp-OutputArea-output img, .jp-OutputArea-output svg')};
        }));
}"""

# One step of the walk, in the page: wait for the screen to change from `prev` (null: the first
# screen), for its images to load (a figure's size is known only then) and for a frame to be drawn;
# then measure the screen: the section's scroll size (its content, outputs included, however far
# it reaches) and position, plus the largest overflow hidden in a scroll area inside it (a long
# code line in the editor, a wide output or table), which the screen cannot show either.
STEP_JS = (
    """async (prev) => {
    const present = () => document.querySelector('"""
    + PRESENT
    + """');
    const state = () => {
        const s = present();
        return s ? s.id + '/' + s.querySelectorAll('.fragment.visible').length : null;
    };
    const sleep = ms => new Promise(r => setTimeout(r, ms));
    let deadline = performance.now() + 30000;
    while (state() === prev || state() === null) {
        if (performance.now() > deadline) return {state: state(), stuck: true};
        await sleep(20);
    }
    const s = present();
    deadline = performance.now() + 20000;
    while (!Array.from(s.querySelectorAll('img')).every(i => i.complete)
           && performance.now() < deadline) await sleep(50);
    await new Promise(r => requestAnimationFrame(() => r()));
    const all = Array.from(document.querySelectorAll('.reveal .slides .jp-Cell'));
    const r = s.getBoundingClientRect();
    const m = {id: s.id, top: r.top, left: r.left, width: s.scrollWidth, height: s.scrollHeight,
               hiddenW: 0, hiddenH: 0, whereW: '', whereH: ''};
    const where = e => {
        const cell = e.closest('.jp-Cell');
        const cls = (e.getAttribute('class') || e.tagName).split(' ')[0];
        return (cell ? 'cell ' + all.indexOf(cell) + ', ' : '') + cls;
    };
    for (const e of s.querySelectorAll('*')) {
        const dx = e.scrollWidth - e.clientWidth, dy = e.scrollHeight - e.clientHeight;
        if ((dx <= 1 && dy <= 1) || e.getClientRects().length === 0) continue;
        const st = getComputedStyle(e);
        if (dx > 1 && /auto|scroll/.test(st.overflowX) && dx > m.hiddenW) {
            m.hiddenW = dx; m.whereW = where(e);
        }
        if (dy > 1 && /auto|scroll/.test(st.overflowY) && dy > m.hiddenH) {
            m.hiddenH = dy; m.whereH = where(e);
        }
    }
    return {state: state(), m};
}"""
)

# Logged by the slideshow app when ipywidgets' JupyterLab extension fails to load in it.
WIDGETS_MISSING = "Failed to create module: package: @jupyter-widgets/jupyterlab-manager"


def _missing_slide_types(cells):
    return [
        i
        for i, c in enumerate(cells)
        if not ((c.get("metadata") or {}).get("slideshow") or {}).get("slide_type")
    ]


def _open_slideshow(page, rel_path):
    """Open the notebook as a lecturer does after Run All: "Open as Reveal Slideshow" (RISE's
    `RISE:slideshow`: save, then a new window on /rise/<path>), resized to the projector.

    The command saves first so that the slideshow, which loads the notebook from the server, shows
    the outputs. This server refuses saves (it serves notebooks others edit), so the save is made a
    no-op and the slideshow window's request for the notebook is answered with the notebook as it
    is in the page, outputs included: what a real save would have put on disk. The slideshow joins
    the notebook's running kernel, so its widgets are live."""
    assert page.evaluate(PREPARE_SLIDESHOW_JS), (
        "JupyterLab has no RISE:slideshow command: jupyterlab-rise is not installed "
        "(pip install -r requirements.txt)"
    )
    model = page.evaluate("() => window.__course.panel.context.model.toJSON()")

    def serve(route):
        request = route.request
        if request.method != "GET" or "content=1" not in request.url:
            route.fallback()
            return
        response = route.fetch()
        body = response.json()
        body["content"] = model
        route.fulfill(response=response, json=body)

    context = page.context
    context.route(re.compile(r"/api/contents/" + re.escape(rel_path) + r"\?"), serve)
    log = []  # what the slideshow app says in its console (why widgets do not load, say)

    def note(msg):
        if msg.page is not page and msg.type in ("error", "warning"):
            log.append(msg.text)

    context.on("console", note)
    with context.expect_page(timeout=120_000) as popup:
        _start_command(page, "RISE:slideshow", 120)
    slides = popup.value
    slides.set_viewport_size(PROJECTOR)
    slides.wait_for_function(STATE_JS, timeout=300_000, polling=500)
    return slides, log


def _wait_rendered(slides, log, controls, formulas):
    """Wait for the slideshow's widgets (restored from the kernel) and maths to be drawn."""
    deadline = time.monotonic() + 120
    while slides.locator(CONTROLS).count() < controls:
        if any(WIDGETS_MISSING in line for line in log) or time.monotonic() > deadline:
            why = [line.splitlines()[0] for line in log if "jupyterlab-manager" in line]
            return [
                f"widgets do not render in the slideshow: it shows "
                f"{slides.locator(CONTROLS).count()} of the notebook's {controls} controls "
                "(each widget appears as its text repr). The slideshow app says: "
                + (" / ".join(why[:3]) or "nothing")
                + " (jupyterlab-rise's slideshow app is built on an older JupyterLab than "
                "ipywidgets' extension needs: jupyterlab-contrib/rise#119)"
            ]
        slides.wait_for_timeout(500)
    try:
        slides.wait_for_function(
            "(n) => document.querySelectorAll('.reveal mjx-container').length >= n",
            arg=formulas,
            timeout=60_000,
            polling=500,
        )
    except Exception:  # noqa: BLE001 - reported
        shown = slides.locator(".reveal mjx-container").count()
        return [f"the slideshow shows {shown} of the notebook's {formulas} formulas typeset"]
    slides.evaluate("() => document.fonts.ready.then(() => true)")
    return []


def _screen_name(sub):
    h, v = sub["h"] + 1, sub["v"] + 1
    return f"slide {h}" + (f".{v}" if v > 1 else "")


def _walk_slideshow(slides, stem, cells):
    """Step through the whole deck with Space (every fragment, sub-slide and slide, as a lecturer
    does), measuring each screen; screenshot the title slide and candidates for three others.
    Returns (screens, measures by screen, screenshot paths by screen, problems)."""
    deck = slides.evaluate(DECK_JS, CONTROLS)
    subs = [dict(sub, h=h, v=v) for h, slide in enumerate(deck) for v, sub in enumerate(slide)]
    index = {sub["id"]: k for k, sub in enumerate(subs)}
    wanted = {0}  # the title
    for key in ("controls", "figures", "plots"):
        wanted |= set([k for k, sub in enumerate(subs) if sub[key]][:1])
    wanted |= {len(subs) // 2, len(subs) // 4, 3 * len(subs) // 4}  # in case there is no other
    measures, shots, problems = {}, {}, []
    tallest = -1
    SLIDE_ARTIFACTS.mkdir(parents=True, exist_ok=True)
    state = None
    for step in range(sum(1 + sub["fragments"] for sub in subs)):
        if step:
            slides.keyboard.press("Space")
        got = slides.evaluate(STEP_JS, state)
        if got.get("stuck"):
            where = (got["state"] or "").split("/")[0]
            where = _screen_name(subs[index[where]]) if where in index else where
            problems.append(f"Space did not move the slideshow on from {where}")
            break
        state, m = got["state"], got["m"]
        k = index[m["id"]]
        m["need"] = m["height"] + m["hiddenH"]
        if k not in measures or m["need"] >= measures[k]["need"]:
            measures[k] = m
        if int(state.rsplit("/", 1)[1]) < subs[k]["fragments"]:
            continue  # photograph a screen with all its fragments shown
        if k in wanted or m["need"] > tallest:
            path = SLIDE_ARTIFACTS / f"{stem}-{k + 1:02d}.png"
            slides.screenshot(path=str(path))
            shots[k] = path
        tallest = max(tallest, m["need"])
    missed = [_screen_name(subs[k]) for k in range(len(subs)) if k not in measures]
    if missed:
        problems.append(f"the walk never showed {', '.join(missed)}")
    return subs, measures, shots, problems


def _keep_screenshots(stem, subs, measures, shots):
    """Keep the title slide, the tallest, and one with a widget, a figure, a plot (or the middle
    one) until there are SLIDE_SHOTS; name them <stem>-<screen>-<what>.png; delete the rest."""
    chosen = {}
    tallest = max(measures, key=lambda k: measures[k]["need"], default=None)
    candidates = [(0, "title"), (tallest, "tallest")]
    for key, label in (("controls", "widget"), ("figures", "figure"), ("plots", "plot")):
        candidates += [(k, label) for k, sub in enumerate(subs) if sub[key]][:1]
    candidates += [(len(subs) // 2, "middle"), (len(subs) // 4, "quarter")]
    candidates.append((3 * len(subs) // 4, "three-quarters"))
    for k, label in candidates:
        if k in shots and k not in chosen and len(chosen) < SLIDE_SHOTS:
            chosen[k] = label
    kept = []
    for k, path in shots.items():
        if k in chosen:
            target = path.with_name(f"{stem}-{k + 1:02d}-{chosen[k]}.png")
            path.replace(target)
            kept.append(target)
        else:
            path.unlink(missing_ok=True)
    return sorted(kept)


def _check_slideshow(page, stem, rel_path, cells):
    """The slideshow at 1280x720; returns (problems, one-line summary, screenshots)."""
    for old in SLIDE_ARTIFACTS.glob(f"{stem}-*.png"):
        old.unlink()
    problems = []
    missing = _missing_slide_types(cells)
    if missing:
        listed = ", ".join(map(str, missing[:12])) + (", ..." if len(missing) > 12 else "")
        problems.append(
            f"{len(missing)} of {len(cells)} cells have no metadata.slideshow.slide_type "
            f"(cells {listed}): every cell needs one (slide, subslide, fragment, -, skip or "
            "notes) for the notebook to present as slides"
        )
        if len(missing) == len(cells):
            return problems, "slideshow not checked: no cell has slide metadata", []
    controls = page.locator(CONTROLS).count()
    formulas = page.locator(".jp-Notebook mjx-container").count()
    slides, log = _open_slideshow(page, rel_path)
    try:
        problems += _wait_rendered(slides, log, controls, formulas)
        subs, measures, shots, walk_problems = _walk_slideshow(slides, stem, cells)
        problems += walk_problems
    finally:
        slides.close()
    screen, limit = PROJECTOR, f"{PROJECTOR['width']}x{PROJECTOR['height']}"
    for k, sub in enumerate(subs):
        m = measures.get(k)
        if m is None:
            continue
        first = _first_line(cells[sub["cells"][0]]) if sub["cells"] else ""
        name = f"{_screen_name(sub)} (screen {k + 1} of {len(subs)}, {first!r})"
        if not sub["cells"]:
            problems.append(f"{name}: an empty slide (all its cells are skip or notes)")
        if m["height"] > screen["height"] or m["top"] + m["height"] > screen["height"] + 1:
            problems.append(
                f"{name}: content {m['height']} px tall, the screen shows {screen['height']} "
                f"(cells {'-'.join(map(str, sub['cells'][:1] + sub['cells'][-1:]))})"
            )
        if m["width"] > screen["width"] or m["left"] + m["width"] > screen["width"] + 1:
            problems.append(f"{name}: content {m['width']} px wide, the screen shows {limit}")
        if m["hiddenW"]:
            problems.append(
                f"{name}: {m['hiddenW']} px scroll sideways out of view ({m['whereW']}: a long "
                "code line or a wide output)"
            )
        if m["hiddenH"]:
            problems.append(
                f"{name}: {m['hiddenH']} px scroll out of view in {m['whereH']} (a long output)"
            )
    kept = _keep_screenshots(stem, subs, measures, shots)
    if not measures:
        return problems, "slideshow: nothing measured", kept
    k = max(measures, key=lambda j: measures[j]["need"])
    first = _first_line(cells[subs[k]["cells"][0]]) if subs[k]["cells"] else ""
    summary = (
        f"slides: {len(set(s['h'] for s in subs))} slides, {len(subs)} screens with their "
        f"sub-slides, {sum(s['fragments'] for s in subs)} fragments; largest "
        f"{measures[k]['need']} px high at {_screen_name(subs[k])} ({first!r}), widest "
        f"{max(m['width'] + m['hiddenW'] for m in measures.values())} px (screen {limit})"
    )
    return problems, summary, kept


# -------------------------------------------------------------------------------------------------
# The tests
# -------------------------------------------------------------------------------------------------


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


# Blocked upstream: widgets cannot render in jupyterlab-rise 0.43.1's slideshow with ipywidgets 8
# (its app is built on JupyterLab 4.3.4; jupyterlab-contrib/rise issues #119 and #126). Only this
# problem (recognised by the app's own WIDGETS_MISSING message) marks the test xfailed; every other
# problem of a slide (too tall, too wide, widgets missing for another reason) fails it.


@pytest.mark.parametrize("notebook", BROWSER_CASES)
def test_notebook_in_jupyterlab(notebook, browser, lab, request):
    rel_path = _rel(notebook)
    page = _new_page(browser)
    start = time.monotonic()
    timings, shot, notes, widget_lines = {}, None, [], []
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
        not_run = _not_run(cells)
        assert not not_run, f"code cells without an execution count (did not run): {not_run}"

        problems = {}
        n_images, problems["images"] = _check_images(page, cells)
        notes.append(
            f"images: {n_images} in the markdown, all rendered"
            if not problems["images"]
            else f"images: {len(problems['images'])} problem(s) of {n_images}"
        )

        t = time.monotonic()
        widget_lines, times, problems["widgets"] = _exercise_controls(page, notebook.stem)
        timings[f"{len(widget_lines)} controls moved in"] = time.monotonic() - t
        if not widget_lines:
            problems["widgets"].append("no widget controls found (every notebook has one)")
        problems["widgets"] += [
            f"cell {i}: a plot {w} px wide on screen ({natural} px as drawn); at least "
            f"{MIN_PLOT_WIDTH} px for a projector"
            for i, w, natural in _narrow_plots(page)
        ]
        if times:
            notes.append(
                f"widget response: median {statistics.median(times):.2f} s, max "
                f"{max(times):.2f} s over {len(times)} controls"
            )

        t = time.monotonic()
        try:
            problems["slides"], summary, kept = _check_slideshow(
                page, notebook.stem, rel_path, cells
            )
        except Exception as err:  # noqa: BLE001 - reported with the other problems
            first = (str(err).splitlines() or [""])[0]
            problems["slides"], kept = [f"the slideshow failed: {type(err).__name__}: {first}"], []
            summary = "slides: not measured (the slideshow failed)"
        timings["slideshow"] = time.monotonic() - t
        notes.append(summary)
        notes += [f"  slides: {problem}" for problem in problems["slides"]]
        if kept:
            notes.append("slide screenshots: " + ", ".join(_rel(p) for p in kept))
        upstream = [p for p in problems["slides"] if WIDGETS_MISSING in p]
        problems["slides"] = [p for p in problems["slides"] if p not in upstream]
        found = [f"{part}:\n  " + "\n  ".join(p) for part, p in problems.items() if p]
        assert not found, f"{notebook.stem}:\n" + "\n".join(found)
        if upstream:  # blocked upstream (rise#119); reported on every run
            pytest.xfail(f"{notebook.stem}: {upstream[0]}")
    finally:
        shot = _quietly(_screenshot, page, notebook.stem)
        _quietly(_close, page, lab)
        timings["total"] = time.monotonic() - start
        _report(
            request,
            f"{notebook.stem}: "
            + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items())
            + (f"; screenshot {_rel(shot)}" if shot else ""),
        )
        for line in notes + widget_lines:
            _report(request, "  " + line)


def _student_outputs_text(cell):
    return "\n".join(
        _text(o.get("text"))
        + _text((o.get("data") or {}).get("text/plain"))
        + _text(o.get("evalue"))
        for o in cell.get("outputs", [])
    )


@pytest.mark.parametrize(
    "stem",
    [
        pytest.param(s, marks=pytest.mark.xdist_group(f"browser-{LANES - 1}"))
        for s in STUDENT_NOTEBOOKS
    ],
)
def test_student_build_runs_to_the_end(stem, browser, lab, request):
    """The untouched student build, as a student runs it: Run All reaches the last cell; the only
    errors are the checks (tagged raises-exception) saying the exercise is not attempted yet."""
    out = REPO_ROOT / "build" / f"browser-test-{secrets.token_hex(4)}"  # served; git-ignored
    made_build = not out.parent.exists()
    (student,) = build_student([NOTEBOOK_DIR / f"{stem}.ipynb"], out)
    nb = nbformat.read(str(student), as_version=4)
    solutions = [i for i, c in enumerate(nb.cells) if is_solution(c)]
    checks = [i for i, c in enumerate(nb.cells) if is_test(c)]
    assert solutions and checks, f"the student build of {stem} has no exercises"
    page = _new_page(browser)
    start, shots, notes = time.monotonic(), [], []
    try:
        _open(page, lab, _rel(student))
        cells = page.locator(".jp-Notebook .jp-Cell")
        for i in solutions:  # what the student sees before running anything
            editor = cells.nth(i).locator(".jp-InputArea-editor")
            editor.scroll_into_view_if_needed()
            assert editor.is_visible() and "raise NotImplementedError()" in editor.inner_text(), (
                f"exercise cell {i} does not show the stub"
            )

        _command(page, "notebook:run-all-cells", RUN_ALL_TIMEOUT)
        model = _cells(page)
        not_run = _not_run(model)
        assert not not_run, (
            f"Run All on the student build of {stem} did not reach the last cell: code cells "
            f"{not_run} did not run; errors before them: "
            + "; ".join(
                f"cell {i}: {name}: {value}"
                for i, name, value, _ in _error_outputs(model)
                if i < not_run[0]
            )
        )
        problems = []
        for i, name, value, trace in _error_outputs(model):
            tags = (model[i].get("metadata") or {}).get("tags") or []
            if "raises-exception" not in tags:
                problems.append(f"cell {i} (not tagged raises-exception) fails: {name}: {value}")
            elif NOT_ATTEMPTED not in (value or ""):
                problems.append(f"check cell {i} fails with {name}: {value}, not {NOT_ATTEMPTED!r}")
            elif "checks.py" in trace or "Traceback" in trace:
                problems.append(
                    f"check cell {i} shows a traceback from inside the checker:\n{trace}"
                )
        failing = {i for i, *_ in _error_outputs(model)}
        for i in checks:
            if i not in failing:
                problems.append(f"check cell {i} passed on the untouched student build")
        assert not problems, "\n".join(problems)
        skipped = sum("Skipped: this cell needs" in _student_outputs_text(c) for c in model)
        notes.append(
            f"{len(checks)} checks say {NOT_ATTEMPTED!r}; {skipped} lecture cells skipped "
            "with a 'needs Exercise k' message"
        )

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        check = cells.nth(checks[0])
        message = check.locator(".jp-OutputArea-output").last
        message.scroll_into_view_if_needed()
        assert NOT_ATTEMPTED in message.inner_text(), f"check cell {checks[0]}: no visible message"
        shots.append(ARTIFACTS / f"student_{stem}-not-attempted.png")
        check.screenshot(path=str(shots[-1]))

        hint_cell = next(
            (
                i
                for i in range(solutions[0] + 1, len(nb.cells))
                if nb.cells[i].cell_type == "markdown"
                and "<summary>Hint</summary>" in nb.cells[i].source
            ),
            None,
        )
        assert hint_cell is not None, (
            f"no <details><summary>Hint</summary> block after the first exercise (cell "
            f"{solutions[0]})"
        )
        summary = cells.nth(hint_cell).locator("summary", has_text="Hint").first
        summary.scroll_into_view_if_needed()
        summary.click()
        page.wait_for_timeout(300)
        assert summary.evaluate("s => s.parentElement.open"), "clicking Hint did not open it"
        hint_text = summary.evaluate("s => s.parentElement.innerText")
        assert len(hint_text.split()) > 3, f"the opened Hint shows nothing: {hint_text!r}"
        shots.append(ARTIFACTS / f"student_{stem}-hint.png")
        cells.nth(hint_cell).screenshot(path=str(shots[-1]))
    finally:
        shot = _quietly(_screenshot, page, f"student_{stem}")
        _quietly(_close, page, lab)
        shutil.rmtree(out, ignore_errors=True)
        if made_build:
            _quietly(out.parent.rmdir)  # only if still empty
        _report(
            request,
            f"student build of {stem}: {time.monotonic() - start:.0f} s; screenshots "
            + ", ".join(_rel(p) for p in [shot, *shots] if p and p.exists()),
        )
        for line in notes:
            _report(request, "  " + line)
