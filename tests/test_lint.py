"""Lines a projector can show: ruff (pinned in requirements.txt, configured in pyproject.toml)
finds nothing in notebooks/, utils/ and tests/: lines <= 100 characters, no `;`, pyflakes."""

import subprocess
import sys
from pathlib import Path

from utils.paths import REPO_ROOT


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    run = subprocess.run(
        [
            ruff,
            "check",
            "--output-format",
            "concise",
            "notebooks",
            "utils",
            "tests",
            "conftest.py",
            "setup.py",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
