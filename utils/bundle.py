"""The student bundle: what a graded course hands out instead of the repository.

    course bundle OUT

writes OUT/notebooks/ (the graded student notebooks), OUT/wheels/ (the `utils` package as a wheel,
with the data files the notebooks load inside it), OUT/requirements.txt and OUT/README.md. A
JupyterHub image or a laptop installs it with `pip install -r requirements.txt` and needs nothing
else: no instructor notebook, test or solution is in it.
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .grading import build_student
from .paths import REPO_ROOT

# What the student notebooks import; the rest of requirements.txt is for tests and grading.
FOR_TESTS_ONLY = {
    "pytest",
    "pytest-xdist",
    "pytest-timeout",
    "hypothesis",
    "playwright",
    "nbval",
    "dask",
    "distributed",
    "papermill",
    "nbgrader",
}

README = """# Deep learning course: student notebooks

```bash
python3 -m venv .venv && .venv/bin/pip install -r requirements.txt
.venv/bin/jupyter lab notebooks/
```

Open a notebook and run it top to bottom (*Run -> Run All Cells*). Each exercise has a check under
it; an exercise you have not done yet says so and the lecture goes on. Lecture cells that use an
exercise's function say which exercise they need and run once you have solved it.
"""


def student_requirements(requirements: Path = REPO_ROOT / "requirements.txt") -> list[str]:
    """requirements.txt without the editable repository and the test-only tools."""
    keep = []
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        name = re.split(r"[=<>!~\[ ]", line)[0].lower() if line else ""
        if line and not line.startswith("-e") and name not in FOR_TESTS_ONLY:
            keep.append(line)
    return keep


def build_wheel(out: Path) -> Path:
    """utils/ plus data/*.* (as utils/_data) built into a wheel with setuptools, offline."""
    with tempfile.TemporaryDirectory() as tmp:
        stage = Path(tmp)
        shutil.copytree(
            REPO_ROOT / "utils", stage / "utils", ignore=shutil.ignore_patterns("__pycache__")
        )
        (stage / "utils" / "_data").mkdir()
        for f in sorted((REPO_ROOT / "data").glob("*.*")):
            shutil.copy(f, stage / "utils" / "_data" / f.name)
        pyproject = (REPO_ROOT / "pyproject.toml").read_text().split("[tool.pytest")[0]
        pyproject += '\n[tool.setuptools.package-data]\nutils = ["_data/*"]\n'
        (stage / "pyproject.toml").write_text(pyproject)
        shutil.copy(REPO_ROOT / "setup.py", stage / "setup.py")
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "-q",
                "-w",
                str(out),
                str(stage),
            ],
            check=True,
        )
    [wheel] = sorted(out.glob("dl_course-*.whl"))
    return wheel


def build_bundle(out) -> Path:
    """Write the student bundle into `out` (replacing it) and return its path."""
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    build_student(out=out / "notebooks")
    wheel = build_wheel(out / "wheels")
    lines = [f"./wheels/{wheel.name}"] + student_requirements()
    (out / "requirements.txt").write_text("\n".join(lines) + "\n")
    (out / "README.md").write_text(README)
    return out
