"""Every notebook in notebooks/ has the course's shape (discovered: new ones checked unedited)."""

import re

import nbformat
import pytest
from nbgrader.preprocessors import CheckCellMetadata

from conftest import NOTEBOOKS
from utils.grading import is_solution, is_test


def test_notebooks_are_found():
    assert len(NOTEBOOKS) >= 1, "no notebooks found under notebooks/"


@pytest.fixture(params=NOTEBOOKS, ids=lambda p: p.stem)
def nb(request):
    return nbformat.read(str(request.param), as_version=4)


def test_stored_without_outputs_and_with_python3_kernel(nb):
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert not [i for i, c in enumerate(code) if c.outputs or c.execution_count], (
        "strip outputs before committing"
    )
    assert nb.metadata.kernelspec.name == "python3"
    nbformat.validate(nb)


def test_nbgrader_metadata_is_valid(nb):
    CheckCellMetadata().preprocess(nb, {})  # raises on invalid metadata or duplicate grade_ids
    ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids))


def test_every_exercise_has_a_graded_check_and_a_hint(nb):
    kinds = ["S" if is_solution(c) else "T" if is_test(c) else "" for c in nb.cells]
    solutions = kinds.count("S")
    assert solutions >= 3, f"at least three exercises, found {solutions}"
    for i, kind in enumerate(kinds):
        if kind == "S":
            following = [k for k in kinds[i + 1 :] if k]
            assert following and following[0] == "T", (
                f"exercise in cell {i} has no test cell after it"
            )
    for c in nb.cells:
        if is_test(c):
            assert c.metadata.nbgrader["points"] > 0 and c.metadata.nbgrader["locked"]
            assert "### BEGIN HIDDEN TESTS" in c.source, (
                f"{c.metadata.nbgrader['grade_id']} has no hidden tests"
            )
    hints = sum(
        "<details><summary>Hint</summary>" in c.source
        for c in nb.cells
        if c.cell_type == "markdown"
    )
    assert hints >= solutions, f"{solutions} exercises but {hints} hint blocks"


def test_notebook_has_the_course_shape(nb):
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in [
        "Learning objectives",
        "Prerequisites",
        "Run time",
        "Summary",
        "Further reading",
    ]:
        assert heading.lower() in text.lower(), f"missing section: {heading}"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "utils.interact(" in code, "every notebook has at least one widget"
    assert re.search(r"^\s*assert ", code, re.M), "a notebook asserts the outcomes it claims"


SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def test_every_cell_has_a_slide_type(nb):
    """RISE presents the notebook from metadata.slideshow.slide_type: every cell has one, the
    title starts a slide, and no hidden test reaches a slide."""
    types = [((c.metadata.get("slideshow") or {}).get("slide_type")) for c in nb.cells]
    missing = [i for i, t in enumerate(types) if not t]
    assert not missing, f"cells without metadata.slideshow.slide_type: {missing}"
    wrong = {i: t for i, t in enumerate(types) if t not in SLIDE_TYPES}
    assert not wrong, f"slide types RISE does not know (cell: type): {wrong}"
    assert types[0] == "slide", "the title cell starts the first slide"
    shown = [
        c.metadata.nbgrader["grade_id"]
        for c, t in zip(nb.cells, types)
        if is_test(c)
        and t not in ("skip", "notes")
        and not (c.metadata.get("jupyter") or {}).get("source_hidden")
    ]
    assert not shown, f"check cells with hidden tests shown on a slide (make them skip): {shown}"
