"""The grader's promises: student versions hide solutions and score 0; instructor versions score full marks."""

import csv
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS
from utils import grading

MARKERS = re.compile(r"### (BEGIN|END) (SOLUTION|HIDDEN TESTS)")


def _regions(source, begin, end):
    return re.findall(rf"{begin}\n(.*?){end}", source, re.S)


def _secret_lines(nb):
    """Lines of solution regions and hidden tests that appear nowhere else in the notebook."""
    secret, public = set(), []
    for cell in nb.cells:
        regions = _regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION")
        regions += _regions(cell.source, "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
        public_text = re.sub(
            r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1", "", cell.source, flags=re.S
        )
        public.append(public_text)
        secret |= {
            line.strip() for r in regions for line in r.splitlines() if len(line.strip()) >= 12
        }
    public = "\n".join(public)
    return {line for line in secret if line not in public}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_version_hides_solutions_and_hidden_tests(path, tmp_path):
    instructor = grading.read(path)
    [built] = grading.build_student([path], tmp_path)
    student = nbformat.read(str(built), as_version=4)
    text = "\n".join(c.source for c in student.cells)
    assert not MARKERS.search(text), "region markers left in the student version"
    leaked = [line for line in _secret_lines(instructor) if line in text]
    assert not leaked, f"student version contains solution/hidden-test text: {leaked[:3]}"
    stubs = [c for c in student.cells if grading.is_solution(c)]
    assert stubs and all("raise NotImplementedError()" in c.source for c in stubs)
    assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_nbgrader_accepts_the_notebooks_as_they_are(tmp_path, monkeypatch):
    """`nbgrader generate_assignment` itself, on a throwaway course folder."""
    monkeypatch.setenv(
        "PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    )  # its alembic
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    source = tmp_path / "source" / "course"
    source.mkdir(parents=True)
    for path in NOTEBOOKS:
        shutil.copy(path, source / path.name)
    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    api = NbGraderAPI(config=config)
    result = api.generate_assignment("course", force=True, create=True)
    assert result["success"], result.get("error") or result.get("log")
    released = sorted(p.name for p in (tmp_path / "release" / "course").glob("*.ipynb"))
    assert released == sorted(p.name for p in NOTEBOOKS)
