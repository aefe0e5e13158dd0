"""The grader's promises: student versions hide solutions and hidden tests; nbgrader agrees."""

import copy
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


def _nbgrader(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    from nbgrader.apps import NbGraderAPI
    from traitlets.config import Config

    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    config.CourseDirectory.db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    config.Execute.timeout = 600
    return NbGraderAPI(config=config)


def test_nbgrader_accepts_the_notebooks_as_they_are(tmp_path, monkeypatch):
    """`nbgrader generate_assignment` itself, on a throwaway course folder."""
    source = tmp_path / "source" / "course"
    source.mkdir(parents=True)
    for path in NOTEBOOKS:
        shutil.copy(path, source / path.name)
    result = _nbgrader(tmp_path, monkeypatch).generate_assignment("course", force=True, create=True)
    assert result["success"], result.get("error") or result.get("log")
    released = sorted(p.name for p in (tmp_path / "release" / "course").glob("*.ipynb"))
    assert released == sorted(p.name for p in NOTEBOOKS)


def test_real_nbgrader_autograde_scores_untouched_0_and_solved_full(tmp_path, monkeypatch):
    """`nbgrader autograde` on the released 01 as a student gets it: untouched, and solved."""
    from nbgrader.api import Gradebook

    path = NOTEBOOKS[0]
    (tmp_path / "source" / "course").mkdir(parents=True)
    shutil.copy(path, tmp_path / "source" / "course" / path.name)
    api = _nbgrader(tmp_path, monkeypatch)
    assert api.generate_assignment("course", force=True, create=True)["success"]
    released = grading.read(tmp_path / "release" / "course" / path.name)
    answers = {c.metadata.nbgrader["grade_id"]: c.source for c in grading.read(path).cells
               if grading.is_solution(c)}
    solved = copy.deepcopy(released)
    for cell in solved.cells:
        if grading.is_solution(cell):
            cell.source = answers[cell.metadata.nbgrader["grade_id"]]
    for student, nb in [("untouched", released), ("solved", solved)]:
        folder = tmp_path / "submitted" / student / "course"
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / path.name))
        result = api.autograde("course", student, force=True, create=True)
        assert result["success"], result.get("error") or result.get("log")
    with Gradebook(f"sqlite:///{tmp_path / 'gradebook.db'}") as gb:
        find = gb.find_submission_notebook
        scores = {s: find(path.stem, "course", s) for s in ["untouched", "solved"]}
        assert scores["untouched"].score == 0 < scores["untouched"].max_score
        assert scores["solved"].score == scores["solved"].max_score
