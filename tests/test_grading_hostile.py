"""The autograder under bad and hostile submissions (one row of the matrix per test).

Every bad submission is made from the real 01_perceptron notebook and graded in ONE batch together
with a correct submission, so each test also shows that the batch went on and the correct student kept
full marks. The batch runs once per module (about 17 notebooks).
"""

import csv
import hashlib
import json
import random
import sys
from pathlib import Path

import nbformat
import pytest

from utils import grading
from utils.paths import NOTEBOOK_DIR, REPO_ROOT

pytestmark = pytest.mark.xdist_group("hostile-grading")  # one worker grades the batch once

NB = NOTEBOOK_DIR / "01_perceptron.ipynb"
CELL_TIMEOUT, MEMORY_GB = 30, 4
IDS = ["ex1_perceptron_step_check", "ex2_xor_features_check", "ex3_logistic_grad_check"]

WRONG = {  # wrong but well-formed answers
    "ex1_perceptron_step": "def perceptron_step(w, b, x, y):\n    return w.copy(), b",
    "ex2_xor_features": "def xor_features(X):\n    return X.copy()",
    "ex3_logistic_grad": "def logistic_grad(w, b, X, y):\n    return np.zeros_like(w), 0.0",
}


def _instructor():
    return nbformat.read(str(NB), as_version=4)


def _answer(nb, grade_id):
    return next(c for c in nb.cells if grading._meta(c).get("grade_id") == grade_id)


def _with(**sources):
    """The instructor notebook with some solution cells replaced."""
    nb = _instructor()
    for grade_id, source in sources.items():
        _answer(nb, grade_id).source = source
    return nb


def _correct(grade_id):
    return _answer(_instructor(), grade_id).source


def _submissions():
    subs = {"good": _instructor()}
    subs["r1_exception"] = _with(
        ex1_perceptron_step="def perceptron_step(w, b, x, y):\n    return 1 / 0"
    )
    subs["r2_shape"] = _with(
        ex3_logistic_grad=_correct("ex3_logistic_grad").replace(
            "return X.T @ (p - y) / len(y)", "return (X.T @ (p - y) / len(y))[None]"
        )
    )
    subs["r2_nan"] = _with(
        ex3_logistic_grad="def logistic_grad(w, b, X, y):\n    return np.full_like(w, np.nan), 0.0"
    )
    subs["r2_dtype"] = _with(
        ex3_logistic_grad="def logistic_grad(w, b, X, y):\n    return np.zeros(len(w), complex), 0.0"
    )
    subs["r3_loop"] = _with(
        ex3_logistic_grad="def logistic_grad(w, b, X, y):\n    while True:\n        pass"
    )
    subs["r3_sleep"] = _with(
        ex2_xor_features=_correct("ex2_xor_features") + "\nimport time\ntime.sleep(10**6)"
    )
    subs["r4_sys_exit"] = _with(
        ex1_perceptron_step="import sys\ndef perceptron_step(w, b, x, y):\n    sys.exit(1)"
    )
    subs["r4_os_exit"] = _with(
        ex3_logistic_grad="import os\ndef logistic_grad(w, b, X, y):\n    os._exit(0)"
    )
    subs["r4_crash"] = _with(
        ex3_logistic_grad="import ctypes\ndef logistic_grad(w, b, X, y):\n    ctypes.string_at(0)"
    )
    tampered = _with(**WRONG)  # wrong answers, and every test cell gutted
    cells = tampered.cells
    _answer(tampered, IDS[0]).source = ""
    cells.remove(_answer(tampered, IDS[1]))
    moved = _answer(tampered, IDS[2])
    cells.remove(moved)
    moved.source = "pass"
    cells.insert(0, moved)
    subs["r5_tests_edited"] = tampered
    subs["r6_patch_check"] = _with(
        ex3_logistic_grad=WRONG["ex3_logistic_grad"] + "\nutils.check = lambda *a, **k: None"
    )
    subs["r6_patch_allclose"] = _with(
        ex3_logistic_grad=WRONG["ex3_logistic_grad"]
        + ("\nnp.allclose = lambda *a, **k: True\ntorch.allclose = lambda *a, **k: True")
    )
    subs["r7_read_hidden"] = _with(
        ex1_perceptron_step='''\
import utils.paths
readable = []
for p in [utils.paths.NOTEBOOK_DIR / "01_perceptron.ipynb", utils.paths.REPO_ROOT / ".git" / "HEAD"]:
    try:
        p.read_bytes(); readable.append(p.name)
    except OSError:
        pass
def perceptron_step(w, b, x, y):
    raise RuntimeError(f"readable: {readable}" if readable else "nothing readable")'''
    )
    subs["r8_memory"] = _with(
        ex1_perceptron_step=(
            "def perceptron_step(w, b, x, y):\n    hog = bytearray(8 * 2**30)\n    return w + y * x, b + y"
        )
    )
    reordered = _instructor()
    random.Random(0).shuffle(reordered.cells)
    reordered.cells.insert(3, nbformat.v4.new_code_cell("perceptron_step = None\nraise SystemExit"))
    reordered.cells.append(nbformat.v4.new_code_cell("xor_features = lambda X: X"))
    subs["r10_reordered"] = reordered
    subs["r11_output_bomb"] = _with(
        ex1_perceptron_step=_correct("ex1_perceptron_step") + "\nprint('x' * 50_000_000)"
    )
    # Hole 1: rebind every name the old injected guard used, then replace the checker.
    subs["h1_rebind_guard"] = _with(
        ex1_perceptron_step=WRONG["ex1_perceptron_step"]
        + """
import builtins, utils, utils.guard
__course_verify = lambda *a, **k: None
utils.guard.install = utils.guard.sign = lambda *a, **k: None
builtins.all = lambda *a: True
utils.check = lambda *a, **k: None"""
    )
    # ... or re-route IPython so that test cells run as `pass`, or their errors are swallowed.
    subs["h1_reroute_ipython"] = _with(
        ex1_perceptron_step=WRONG["ex1_perceptron_step"]
        + """
get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"""
    )
    subs["h1_swallow_errors"] = _with(
        ex1_perceptron_step=WRONG["ex1_perceptron_step"]
        + """
get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"""
    )
    # Hole 2: forge the worker's result (files in /tmp, the kernel's own stdout) and add graded cells.
    forged = _with(
        ex1_perceptron_step=WRONG["ex1_perceptron_step"]
        + """
import glob, json, os
fake = json.dumps({"nb": {"cells": []}, "note": "", "replies": {}, "evidence": {}})
for path in glob.glob('/tmp/**/', recursive=True) + ['/tmp/']:
    try:
        open(os.path.join(path, 'result.json'), 'w').write(fake)
    except OSError:
        pass
os.write(1, fake.encode())"""
    )
    bonus = nbformat.v4.new_code_cell("print('free points')")
    bonus.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus",
        "locked": True,
        "points": 1000,
        "schema_version": 3,
        "solution": False,
        "task": False,
    }
    forged.cells.append(bonus)
    subs["h2_forge_result"] = forged
    # Hole 3: rewrite the course's own checker on disk, for the submissions graded after this one.
    subs["h3a_edit_course"] = _with(
        ex1_perceptron_step=WRONG["ex1_perceptron_step"]
        + """
import utils, utils.checks
for path in (utils.checks.__file__, utils.__file__):
    try:
        open(path, 'a').write('\\ncheck = lambda *a, **k: None\\n')
    except OSError:
        pass"""
    )
    subs["h3b_honest_but_wrong"] = _with(ex1_perceptron_step=WRONG["ex1_perceptron_step"])
    other = _instructor()
    for cell in other.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["grade_id"] = "other_" + cell.metadata.nbgrader["grade_id"]
    subs["r9_other_assignment"] = other
    return subs


def _course_files():
    files = sorted(p for p in (REPO_ROOT / "utils").rglob("*.py")) + sorted(
        NOTEBOOK_DIR.glob("*.ipynb")
    )
    files += sorted(Path(sys.prefix).rglob("*.pth"))
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    before = _course_files()
    root = tmp_path_factory.mktemp("submissions")
    for student, nb in _submissions().items():
        (root / student).mkdir()
        nbformat.write(nb, str(root / student / NB.name))
    for student, text in {
        "r9_not_json": "{this is not json",
        "r9_not_notebook": json.dumps({"hello": 1}),
    }.items():
        (root / student).mkdir()
        (root / student / NB.name).write_text(text)
    graded, out = tmp_path_factory.mktemp("graded"), tmp_path_factory.mktemp("out")
    rows = grading.autograde(
        root,
        cell_timeout=CELL_TIMEOUT,
        memory_gb=MEMORY_GB,
        csv_path=out / "scores.csv",
        graded_dir=graded,
        verbose=True,
    )
    by_student = {}
    for r in rows:
        by_student.setdefault(r["student"], {})[r["exercise"]] = r
    assert _course_files() == before, "a submission changed the course's files"
    return by_student, out / "scores.csv", graded


def _total(rows):
    return sum(r["points"] for r in rows.values())


def _assert_batch_ok(batch):
    by_student, _, _ = batch
    assert len(by_student) == 26, sorted(by_student)
    assert _total(by_student["good"]) == 8 and all(
        r["status"] == "passed" for r in by_student["good"].values()
    )


def test_r1_exception_names_exercise_and_exception(batch):
    _assert_batch_ok(batch)
    rows = batch[0]["r1_exception"]
    assert rows[IDS[0]]["points"] == 0
    assert (
        "perceptron_step" in rows[IDS[0]]["reason"]
        and "ZeroDivisionError" in rows[IDS[0]]["reason"]
    )
    assert rows[IDS[2]]["status"] == "passed"


@pytest.mark.parametrize(
    "student, words", [("r2_shape", "wrong shape"), ("r2_nan", "NaN"), ("r2_dtype", "wrong dtype")]
)
def test_r2_bad_shape_nan_dtype_give_the_check_message(batch, student, words):
    row = batch[0][student][IDS[2]]
    assert (
        row["points"] == 0
        and words in row["reason"]
        and "ExerciseFailure: logistic_grad" in row["reason"]
    ), row
    assert _total(batch[0][student]) == 5


def test_r3_infinite_loop_times_out_and_the_rest_is_graded(batch):
    rows = batch[0]["r3_loop"]
    assert rows[IDS[2]]["points"] == 0 and "timed out" in rows[IDS[2]]["reason"]
    assert rows[IDS[0]]["status"] == rows[IDS[1]]["status"] == "passed"


def test_r3_sleep_in_a_solution_cell_does_not_stop_grading(batch):
    assert _total(batch[0]["r3_sleep"]) == 8


def test_r4_sys_exit_is_reported(batch):
    row = batch[0]["r4_sys_exit"][IDS[0]]
    assert row["points"] == 0 and "SystemExit" in row["reason"]


@pytest.mark.parametrize("student", ["r4_os_exit", "r4_crash"])
def test_r4_dead_kernel_scores_what_ran(batch, student):
    rows = batch[0][student]
    assert rows[IDS[0]]["status"] == rows[IDS[1]]["status"] == "passed"
    assert rows[IDS[2]]["points"] == 0 and "died" in rows[IDS[2]]["reason"].lower(), rows[IDS[2]]


def test_r5_edited_deleted_moved_tests_are_restored(batch):
    rows = batch[0]["r5_tests_edited"]
    assert set(rows) == set(IDS) and _total(rows) == 0
    assert (
        "restored (edited" in rows[IDS[0]]["reason"]
        and "restored (missing" in rows[IDS[1]]["reason"]
    )
    assert "restored (edited" in rows[IDS[2]]["reason"]


@pytest.mark.parametrize("student", ["r6_patch_check", "r6_patch_allclose"])
def test_r6_patched_checker_is_caught(batch, student):
    row = batch[0][student][IDS[2]]
    assert row["points"] == 0 and "checker tampered" in row["reason"], row


def test_r7_instructor_files_are_not_readable(batch):
    row = batch[0]["r7_read_hidden"][IDS[0]]
    assert "nothing readable" in row["reason"], row


def test_r8_memory_limit(batch):
    row = batch[0]["r8_memory"][IDS[0]]
    assert row["points"] == 0 and f"memory limit ({MEMORY_GB} GiB)" in row["reason"], row


@pytest.mark.parametrize(
    "student, words",
    [
        ("r9_not_json", "not a valid notebook"),
        ("r9_not_notebook", "not a notebook"),
        ("r9_other_assignment", "another assignment"),
    ],
)
def test_r9_not_a_notebook_of_this_assignment(batch, student, words):
    rows = batch[0][student]
    assert _total(rows) == 0 and all(words in r["reason"] for r in rows.values()), rows


def test_r10_reordered_cells_and_extra_cells(batch):
    assert _total(batch[0]["r10_reordered"]) == 8


def test_r11_output_bomb_stays_small(batch):
    _, csv_path, graded = batch
    assert _total(batch[0]["r11_output_bomb"]) == 8
    assert (graded / "r11_output_bomb" / NB.name).stat().st_size < 2_000_000
    assert csv_path.stat().st_size < 20_000


def test_the_csv_has_one_row_per_student_and_exercise(batch):
    by_student, csv_path, _ = batch
    with open(csv_path) as f:
        table = list(csv.DictReader(f))
    assert len(table) == sum(len(rows) for rows in by_student.values()) == 78
    assert not list(csv_path.parent.glob("*.tmp"))


@pytest.mark.parametrize("student", ["h1_rebind_guard", "h1_reroute_ipython", "h1_swallow_errors"])
def test_h1_the_guard_cannot_be_switched_off_from_a_solution_cell(batch, student):
    rows = batch[0][student]
    assert _total(rows) == 0 and rows[IDS[0]]["status"] == "failed", rows


def test_h1_rebinding_is_reported_as_tampering(batch):
    assert "checker tampered" in batch[0]["h1_rebind_guard"][IDS[0]]["reason"]


def test_h2_a_forged_result_and_extra_graded_cells_earn_nothing(batch):
    rows = batch[0]["h2_forge_result"]
    assert set(rows) == set(IDS)  # points come from the instructor notebook only
    assert sum(r["max_points"] for r in rows.values()) == 8
    assert rows[IDS[0]]["points"] == 0 and _total(rows) == 6


def test_h3_editing_the_course_does_not_change_the_next_students_grade(batch):
    """h3a (tampering) is graded before h3b (honest, wrong first exercise) in the same batch; the
    batch fixture also checks that the course's files are byte-identical afterwards."""
    assert batch[0]["h3a_edit_course"][IDS[0]]["points"] == 0
    honest = batch[0]["h3b_honest_but_wrong"]
    assert honest[IDS[0]]["points"] == 0 and honest[IDS[0]]["status"] == "failed"
    assert _total(honest) == 6
