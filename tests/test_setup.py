"""setup.py: the install stops at once, naming the supported Pythons, on any other interpreter."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils.paths import REPO_ROOT


def _run_setup(python):
    return subprocess.run(
        [python, "setup.py", "--name"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )


def test_this_interpreter_is_supported_and_matches_requires_python():
    spec = re.search(
        r'requires-python = ">=3\.(\d+), *<3\.(\d+)"', (REPO_ROOT / "pyproject.toml").read_text()
    )
    assert int(spec[1]) <= sys.version_info[1] < int(spec[2])
    r = _run_setup(sys.executable)
    assert r.returncode == 0 and r.stdout.strip().endswith("dl-course"), r.stderr


def _find(version):
    """An interpreter of `version` on PATH or under pyenv (whose PATH shims may refuse to run)."""
    found = [shutil.which(f"python{version}")] + sorted(
        str(p) for p in Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}")
    )
    for python in filter(None, found):
        if subprocess.run([python, "--version"], capture_output=True).returncode == 0:
            return python
    pytest.skip(f"no Python {version} on this machine")


@pytest.mark.parametrize("old", ["3.10", "3.9"])
def test_an_older_python_stops_with_the_supported_versions(old):
    python = _find(old)
    r = _run_setup(python)
    assert r.returncode == 1 and "needs Python 3.11 to 3.14" in r.stderr, r.stderr
