"""Test-wide settings: one BLAS thread per xdist worker, each notebook's cells kept on one worker.

At the repository root so that it also applies when pytest is given notebooks/ alone.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread a kernel: three workers, two cores

import pytest  # noqa: E402

from utils.paths import NOTEBOOK_DIR  # noqa: E402

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    # nbval makes one item per cell; with `--dist loadgroup` a group runs on one worker, in order.
    for item in items:
        if str(item.fspath).endswith(".ipynb"):
            item.add_marker(
                pytest.mark.xdist_group(
                    "nb-" + os.path.basename(str(item.fspath)).replace(".", "_")
                )
            )


_browser_lines: list[str] = []
_executions: dict[str, dict[str, float]] = {}  # notebook -> test -> seconds, for whole runs
_STEMS = {p.stem for p in NOTEBOOKS}


def pytest_runtest_logreport(report):
    # Runs in the controller too (xdist forwards reports): sum each notebook's cell times.
    nodeid = report.nodeid.partition("@")[0]  # xdist appends "@<group>"
    path = nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        runs = _executions.setdefault(os.path.basename(path)[:-6], {})
        runs["nbval"] = runs.get("nbval", 0.0) + report.duration
    param = nodeid.rpartition("[")[2].rstrip("]")
    if report.when == "call" and param in _STEMS and report.duration > 5:   # a whole-notebook run
        test = nodeid.split("::")[-1].partition("[")[0]
        _executions.setdefault(param, {})[test] = report.duration
    if (
        report.when == "call"
    ):  # tests/test_browser.py: per-notebook times, slides, widget response, screenshots
        _browser_lines.extend(value for key, value in report.user_properties if key == "browser")


def pytest_terminal_summary(terminalreporter):
    if _executions:
        terminalreporter.section("executions of each notebook (tests running it whole; seconds)")
        for stem, runs in sorted(_executions.items()):
            parts = ", ".join(f"{test} {sec:.0f}" for test, sec in sorted(runs.items()))
            total = sum(runs.values())
            terminalreporter.write_line(f"{stem:<28} {len(runs)} runs, {total:6.0f} s: {parts}")
    if _browser_lines:
        terminalreporter.section(
            "browser tests (JupyterLab + Chromium): run times, slides at 1280x720, widget "
            "response times, screenshots"
        )
        for line in _browser_lines:
            terminalreporter.write_line(line)
