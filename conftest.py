"""Test-wide settings: one BLAS thread per xdist worker, and each notebook's cells kept on one worker.

At the repository root so that it also applies when pytest is given notebooks/ alone.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # two workers on two cores: no oversubscription

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


_notebook_seconds: dict[str, float] = {}
_browser_lines: list[str] = []


def pytest_runtest_logreport(report):
    # Runs in the controller too (xdist forwards reports): sum each notebook's cell times.
    path = report.nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        _notebook_seconds[path] = _notebook_seconds.get(path, 0.0) + report.duration
    if (
        report.when == "call"
    ):  # tests/test_browser.py: per-notebook browser times and screenshot paths
        _browser_lines.extend(value for key, value in report.user_properties if key == "browser")


def pytest_terminal_summary(terminalreporter):
    if _notebook_seconds:
        terminalreporter.section("notebook run times (nbval, all cells)")
        for path, seconds in sorted(_notebook_seconds.items()):
            terminalreporter.write_line(f"{seconds:7.1f} s  {path}")
    if _browser_lines:
        terminalreporter.section("browser tests (JupyterLab + Chromium): run times and screenshots")
        for line in _browser_lines:
            terminalreporter.write_line(line)
