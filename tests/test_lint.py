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


def test_cells_ruff_skips_fit_too():
    """ruff skips cells that start with a cell magic (%%needs); their lines must fit as well."""
    import nbformat

    long = [
        f"{path.name} cell {i}: {line}"
        for path in sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
        for i, cell in enumerate(nbformat.read(str(path), as_version=4).cells)
        if cell.cell_type == "code"
        for line in cell.source.splitlines()
        if len(line) > 100 or (line.rstrip().endswith(";") and not line.lstrip().startswith("#"))
    ]
    assert not long, "\n".join(long)
