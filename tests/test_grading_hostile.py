"""The autograder under bad and hostile submissions (one row of the matrix per test).

The attacks are made on a tiny instructor notebook kept for these tests,
tests/fixtures/tiny_assignment.ipynb.json (`import utils`, numpy, three exercises in the course's
nbgrader format with hidden tests, a `%%needs` lecture cell), so a submission costs a kernel start
and little more; the grader, sandbox and guard are the ones every course notebook goes through. The
most important attack, a replaced checker, is also made on the real 01_perceptron, end to end.

An attack that changes the whole run (tampering, a dead kernel, timeouts, edited or reordered cells,
forged results) has a submission of its own. Attacks that stay inside one exercise's function and
leave the kernel and the guard intact (exceptions, bad values, limits, reading or writing files the
sandbox protects, refused introspection) share submissions, one attack per exercise, and each test
reads its own exercise's row. All submissions, with a correct one, are graded in ONE batch
(`--jobs 2`), so each test also shows that the batch went on and the correct student kept full
marks.
"""

import csv
import hashlib
import json
import os
import random
import re
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

from utils import grading, sandbox
from utils.paths import NOTEBOOK_DIR, REPO_ROOT

pytestmark = pytest.mark.xdist_group("hostile-grading")  # one worker grades the batch once

# The tiny instructor notebook, stored as .json so that nbval (which runs every *.ipynb under
# tests/) leaves it alone; in a batch it is NAME.
FIXTURE = Path(__file__).parent / "fixtures" / "tiny_assignment.ipynb.json"
NAME = "tiny_assignment.ipynb"
REAL = NOTEBOOK_DIR / "01_perceptron.ipynb"
MEMORY_GB = 4
# The time limit per cell: the grader's setup cell (`import utils`: torch, matplotlib) must fit in
# it, and r3's two endless cells each cost it. 20 s on a quiet machine, more when it is shared.
CELL_TIMEOUT = round(min(120, 20 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))))
IDS = ["ex1_relu_check", "ex2_row_means_check", "ex3_mse_grad_check"]  # worth 1, 2 and 3 points
FULL = 6

PLANTED = "check = lambda *a, **k: None  # planted by a submission"


class HoleStillOpen(AssertionError):
    """An attack on an open hole still earned points (see the xfail reasons below)."""


WRONG = {  # wrong but well-formed answers
    "ex1_relu": "def relu(x):\n    return np.asarray(x, dtype=float)",
    "ex2_row_means": "def row_means(X):\n    return X[:, 0]",
    "ex3_mse_grad": "def mse_grad(w, X, y):\n    return np.zeros_like(w)",
}


def _id(cell):
    return grading._meta(cell).get("grade_id")


def _cell(nb, grade_id):
    return next(c for c in nb.cells if _id(c) == grade_id)


def _answers(instructor):
    """The instructor's solutions as a student would write them (without the region markers)."""
    return {
        _id(c): re.sub(r"^ *### (BEGIN|END) SOLUTION\n", "", c.source + "\n", flags=re.M)
        for c in instructor.cells
        if grading.is_solution(c)
    }


def _submission(instructor, **sources):
    """The student build of `instructor`, every exercise solved, some replaced by `sources`."""
    nb = grading.student_version(instructor)
    answers = {**_answers(instructor), **sources}
    for cell in nb.cells:
        if grading.is_solution(cell):
            cell.source = answers[_id(cell)]
    return nb


def _tiny(**sources):
    return _submission(grading.read(FIXTURE), **sources)


def _correct(grade_id):
    return _answers(grading.read(FIXTURE))[grade_id]


def _real_patched_checker():
    """01_perceptron, every exercise attempted and wrong (each solution region is `return None`),
    and the checker replaced by one that accepts anything."""
    instructor = grading.read(REAL)
    wrong = {
        _id(c): re.sub(
            r"( *)### BEGIN SOLUTION\n.*?### END SOLUTION", r"\1return None", c.source, flags=re.S
        )
        for c in instructor.cells
        if grading.is_solution(c)
    }
    first = next(iter(wrong))
    wrong[first] += "\nimport utils\nutils.check = lambda *a, **k: None"
    return _submission(instructor, **wrong)


def _raising(name, message):
    """Code that defines exercise function `name` to raise `message` (an f-string expression)."""
    return f"def {name}(*args):\n    raise RuntimeError({message})\n"


# Attacks that stay inside one exercise's function: each says what it managed in its error message.
EDIT_COURSE = """\
import utils, utils.checks
wrote = []
for path in (utils.checks.__file__, utils.__file__, {pth!r}):
    try:
        open(path, 'a').write('\\n{planted}\\n')
        wrote.append(path)
    except OSError:
        pass
"""

READ_HIDDEN_AND_NETWORK = """\
import os, socket
readable = []
for path in {hidden!r}:  # folders are walked and their files read
    try:
        if os.path.isdir(path):
            for folder, _, files in os.walk(path, onerror=print):
                readable += [os.path.join(folder, f) for f in files]
        elif open(path, 'rb').read():
            readable.append(path)
    except OSError:
        pass
try:
    socket.create_connection(("1.1.1.1", 80), timeout=3).close()
    network = "NETWORK"
except OSError:
    network = "no network"
found = (f"readable: {{readable}}" if readable else "nothing readable") + "; " + network
"""

INTROSPECTION = """\
import gc, sys, utils
attempts = {
    "gc.get_referrers": lambda: gc.get_referrers(utils.check),
    "gc.get_objects": gc.get_objects,
    "sys.settrace": lambda: sys.settrace(lambda *a: None),
    "sys.setprofile": lambda: sys.setprofile(lambda *a: None),
    "sys._current_frames": sys._current_frames,
    "__code__": lambda: setattr(utils.check, "__code__", (lambda *a, **k: None).__code__),
}
allowed = []
for name, attempt in attempts.items():
    try:
        attempt()
        allowed.append(name)
    except RuntimeError:
        pass
"""

FORK_BOMB = """\
import os, time
def mse_grad(w, X, y):
    forked, stopped = 0, "nothing"
    for _ in range(600):  # bounded, so a missing limit fails the test, not the machine
        try:
            pid = os.fork()
        except OSError as err:
            stopped = type(err).__name__
            break
        if pid == 0:
            time.sleep(3)
            os._exit(0)
        forked += 1
    raise RuntimeError(f"forked {forked} processes, then {stopped}")"""

REPLAY = """
import os, utils
ids = {ids!r}
log = os.path.join(os.environ["HOME"], "guard.log")
for cell in ids:  # the audit hook signs "ok" for any source that starts with the marker
    compile(f"# grader: verify {{cell}}\\npass", "<minted>", "exec")
minted = {{line.split(" ", 2)[1]: line for line in open(log).read().splitlines()}}
null = os.open("/dev/null", os.O_WRONLY)
for fd in os.listdir("/proc/self/fd"):
    try:
        if os.readlink(f"/proc/self/fd/{{fd}}") == log:
            os.dup2(null, int(fd))  # the hook's verdicts from now on go nowhere
    except OSError:
        pass
out = os.open(log, os.O_WRONLY | os.O_APPEND)
def replay(lines):
    cell = lines[0].removeprefix("# grader: verify ").strip() if lines else ""
    if cell in minted:
        os.write(out, (minted[cell] + "\\n").encode())
    return lines
get_ipython().input_transformers_post.append(replay)
utils.check = lambda *a, **k: None"""


def _submissions(where):
    """name -> (file name, notebook or raw text), in the order they are graded: the longest first,
    the attempt to rewrite the course early and an honest wrong submission last."""
    subs = {"real01_patched_checker": _real_patched_checker()}
    # A top-level sleep in Exercise 1's cell, a busy loop in Exercise 2's function.
    subs["r3_timeouts"] = _tiny(
        ex1_relu=_correct("ex1_relu") + "import time\ntime.sleep(10**6)",
        ex2_row_means="def row_means(X):\n    while True:\n        pass",
    )
    hidden = [
        where["teacher"],  # the instructor notebooks of this batch
        NOTEBOOK_DIR,
        REPO_ROOT / ".git",
        where["root"],  # the other submissions
        where["graded"],
        where["csv"],
    ]
    subs["h3a_r7_h4_files_network_introspection"] = _tiny(
        ex1_relu=EDIT_COURSE.format(pth=str(where["pth"]), planted=PLANTED)
        + _raising("relu", 'f"wrote {wrote}" if wrote else "wrote nothing"'),
        ex2_row_means=READ_HIDDEN_AND_NETWORK.format(hidden=[str(p) for p in hidden])
        + _raising("row_means", "found"),
        ex3_mse_grad=INTROSPECTION + _raising("mse_grad", 'f"introspection allowed: {allowed}"'),
    )
    subs["good"] = _tiny()
    subs["r1_r4_h6_exceptions_and_reference"] = _tiny(
        ex1_relu="def relu(x):\n    return 1 / 0",
        ex2_row_means="import sys\ndef row_means(X):\n    sys.exit(1)",
        # expected values are computed in the test cell with numpy: patch numpy's mean, answer 0
        ex3_mse_grad=WRONG["ex3_mse_grad"] + "\nnp.mean = lambda *a, **k: 0.0",
    )
    subs["r8_r11_limits_and_output"] = _tiny(
        ex1_relu="def relu(x):\n    hog = bytearray(8 * 2**30)\n    return np.maximum(x, 0.0)",
        ex2_row_means=_correct("ex2_row_means") + "print('x' * 50_000_000)",
        ex3_mse_grad=FORK_BOMB,
    )
    subs["r4_os_exit"] = _tiny(ex3_mse_grad="import os\ndef mse_grad(w, X, y):\n    os._exit(0)")
    subs["r4_crash"] = _tiny(
        ex3_mse_grad="import ctypes\ndef mse_grad(w, X, y):\n    ctypes.string_at(0)"
    )
    tampered = _tiny(**WRONG)  # wrong answers, and every test cell gutted
    _cell(tampered, IDS[0]).source = ""
    tampered.cells.remove(_cell(tampered, IDS[1]))
    moved = _cell(tampered, IDS[2])
    tampered.cells.remove(moved)
    moved.source = "pass"
    tampered.cells.insert(0, moved)
    subs["r5_tests_edited"] = tampered
    subs["r6_patch_allclose"] = _tiny(
        ex3_mse_grad=WRONG["ex3_mse_grad"]
        + "\nimport torch\nnp.allclose = lambda *a, **k: True"
        + "\ntorch.allclose = lambda *a, **k: True"
    )
    reordered = _tiny()
    random.Random(0).shuffle(reordered.cells)
    reordered.cells.insert(3, nbformat.v4.new_code_cell("relu = None\nraise SystemExit"))
    reordered.cells.append(nbformat.v4.new_code_cell("row_means = lambda X: X"))
    subs["r10_reordered"] = reordered
    # Hole 1: rebind every name the old injected guard used, then replace the checker.
    subs["h1_rebind_guard"] = _tiny(
        ex1_relu=WRONG["ex1_relu"]
        + """
import builtins, utils, utils.guard
__course_verify = lambda *a, **k: None
utils.guard.install = utils.guard.sign = lambda *a, **k: None
builtins.all = lambda *a: True
utils.check = lambda *a, **k: None"""
    )
    # ... or re-route IPython so that test cells run as `pass`, or their errors are swallowed.
    subs["h1_reroute_ipython"] = _tiny(
        ex1_relu=WRONG["ex1_relu"]
        + "\nget_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])"
    )
    subs["h1_swallow_errors"] = _tiny(
        ex1_relu=WRONG["ex1_relu"]
        + "\nget_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)"
    )
    # Hole 2: forge the worker's result (files in /tmp, the kernel's stdout), add graded cells.
    forged = _tiny(
        ex1_relu=WRONG["ex1_relu"]
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
    # Replayed evidence: verdicts minted in advance, the guard's log silenced, the checker replaced.
    replay = REPLAY.format(ids=IDS + ["after:" + i for i in IDS] + ["__final__"])
    subs["h5_replay_evidence"] = _tiny(**{**WRONG, "ex1_relu": WRONG["ex1_relu"] + replay})
    other = _tiny()
    for cell in other.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["grade_id"] = "other_" + cell.metadata.nbgrader["grade_id"]
    subs["r9_other_assignment"] = other
    subs["r9_not_json"] = "{this is not json"
    subs["r9_not_notebook"] = json.dumps({"hello": 1})
    # Graded last, long after h3a tried to rewrite the checker: honest, and wrong three ways.
    subs["r2_h3b_bad_values"] = _tiny(
        ex1_relu="def relu(x):\n    return np.full(np.shape(x), np.nan)",
        ex2_row_means="def row_means(X):\n    return X.mean(axis=0)",
        ex3_mse_grad="def mse_grad(w, X, y):\n    return np.zeros(len(w), complex)",
    )
    return {name: (REAL.name if "real01" in name else NAME, nb) for name, nb in subs.items()}


def _course_files(teacher):
    """The files a submission must not change that nothing else edits while this module runs: the
    instructor notebooks of the batch and the venv's start-up files."""
    files = [*sorted(teacher.iterdir()), FIXTURE, *sorted(Path(sys.prefix).rglob("*.pth"))]
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def _planted():
    """The course's and the venv's files that h3a's line reached (found by content: the course's
    own files may be edited by other work while this module runs)."""
    files = [*(REPO_ROOT / "utils").rglob("*.py"), *Path(sys.prefix).rglob("*.pth")]
    return [str(p) for p in files if PLANTED in p.read_text(errors="replace")]


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    teacher, root = tmp_path_factory.mktemp("instructor"), tmp_path_factory.mktemp("submissions")
    graded, out = tmp_path_factory.mktemp("graded"), tmp_path_factory.mktemp("out")
    shutil.copy(FIXTURE, teacher / NAME)
    shutil.copy(REAL, teacher / REAL.name)
    site = next(p for p in map(Path, sys.path) if p.name == "site-packages" and p.is_dir())
    where = dict(teacher=teacher, root=root, graded=graded, csv=out / "scores.csv")
    where["pth"] = site / "planted.pth"
    folders = {}
    for i, (name, (filename, nb)) in enumerate(_submissions(where).items()):
        folders[f"{i:02d}_{name}"] = name  # graded in this order
        (root / f"{i:02d}_{name}").mkdir()
        text = nb if isinstance(nb, str) else nbformat.writes(nb)
        (root / f"{i:02d}_{name}" / filename).write_text(text)
    before = _course_files(teacher)
    rows = grading.autograde(
        root,
        teacher,
        cell_timeout=CELL_TIMEOUT,
        memory_gb=MEMORY_GB,
        csv_path=where["csv"],
        graded_dir=graded,
        jobs=2,
    )
    by_student = {}
    for r in rows:
        by_student.setdefault(folders[r["student"]], {})[r["exercise"]] = r
    assert _course_files(teacher) == before, "a submission changed the course's files"
    assert not _planted() and not where["pth"].exists(), "a submission wrote into the course"
    graded_files = {folders[p.parent.name]: p for p in graded.rglob("*.ipynb")}
    return by_student, where["csv"], graded_files


def _total(rows):
    return sum(r["points"] for r in rows.values())


def test_the_batch_went_on_and_the_correct_student_has_full_marks(batch):
    by_student, _, graded = batch
    assert len(by_student) == 20, sorted(by_student)
    good = by_student["good"]
    assert set(good) == set(IDS) and _total(good) == FULL
    assert all(r["status"] == "passed" and r["sandbox"] == "isolated" for r in good.values()), good
    lecture = [c for c in grading.read(graded["good"]).cells if c.source.startswith("%%needs")]
    # A busy kernel may send one print as several stream messages: read them all.
    printed = "".join(o.get("text", "") for o in lecture[0].outputs if o.output_type == "stream")
    assert "relu of -1, 0, 2: [0. 0. 2.]" in printed  # ran on relu


def test_real01_a_replaced_checker_scores_nothing_on_the_real_notebook(batch):
    """End to end on the course's own 01_perceptron: every answer wrong, `utils.check` replaced."""
    rows = batch[0]["real01_patched_checker"]
    tests = [c for c in grading.read(REAL).cells if grading.is_test(c)]
    assert set(rows) == {_id(c) for c in tests} and len(rows) >= 3
    assert sum(r["max_points"] for r in rows.values()) == sum(
        float(grading._meta(c)["points"]) for c in tests
    )
    for row in rows.values():
        assert row["points"] == 0 and "checker tampered: utils.check" in row["reason"], row


def test_r1_exception_names_exercise_and_exception(batch):
    row = batch[0]["r1_r4_h6_exceptions_and_reference"][IDS[0]]
    assert row["points"] == 0 and "relu" in row["reason"] and "ZeroDivisionError" in row["reason"]


@pytest.mark.parametrize(
    "check, words",
    [(IDS[0], "contains NaN"), (IDS[1], "wrong shape"), (IDS[2], "wrong dtype")],
)
def test_r2_bad_shape_nan_dtype_give_the_check_message(batch, check, words):
    row = batch[0]["r2_h3b_bad_values"][check]
    name = check.split("_", 1)[1].removesuffix("_check")
    assert row["points"] == 0 and words in row["reason"], row
    assert f"ExerciseFailure: {name}" in row["reason"], row


def test_r3_infinite_loop_times_out_and_the_rest_is_graded(batch):
    rows = batch[0]["r3_timeouts"]
    assert rows[IDS[1]]["points"] == 0 and "timed out" in rows[IDS[1]]["reason"], rows[IDS[1]]
    assert rows[IDS[2]]["status"] == "passed"


def test_r3_sleep_in_a_solution_cell_does_not_stop_grading(batch):
    assert batch[0]["r3_timeouts"][IDS[0]]["status"] == "passed"


def test_r4_sys_exit_is_reported(batch):
    row = batch[0]["r1_r4_h6_exceptions_and_reference"][IDS[1]]
    assert row["points"] == 0 and "row_means" in row["reason"] and "SystemExit" in row["reason"]


@pytest.mark.parametrize("student", ["r4_os_exit", "r4_crash"])
def test_r4_dead_kernel_scores_what_ran(batch, student):
    rows = batch[0][student]
    assert rows[IDS[0]]["status"] == rows[IDS[1]]["status"] == "passed"
    assert rows[IDS[2]]["points"] == 0 and "died" in rows[IDS[2]]["reason"].lower(), rows[IDS[2]]


def test_r5_edited_deleted_moved_tests_are_restored(batch):
    rows = batch[0]["r5_tests_edited"]
    assert set(rows) == set(IDS) and _total(rows) == 0
    assert "restored (edited" in rows[IDS[0]]["reason"]
    assert "restored (missing" in rows[IDS[1]]["reason"]
    assert "restored (edited" in rows[IDS[2]]["reason"]


def test_r6_patched_comparisons_are_caught(batch):
    rows = batch[0]["r6_patch_allclose"]
    assert rows[IDS[2]]["points"] == 0 and "checker tampered" in rows[IDS[2]]["reason"], rows
    assert _total(rows) == 0  # the verdict is sticky: the whole notebook scores 0


def test_r7_instructor_files_and_other_submissions_are_not_readable(batch):
    row = batch[0]["h3a_r7_h4_files_network_introspection"][IDS[1]]
    assert "nothing readable" in row["reason"], row


def test_r7_the_kernel_has_no_network(batch):
    row = batch[0]["h3a_r7_h4_files_network_introspection"][IDS[1]]
    assert "no network" in row["reason"], row


def test_r8_memory_limit(batch):
    rows = batch[0]["r8_r11_limits_and_output"]
    assert rows[IDS[0]]["points"] == 0, rows[IDS[0]]
    assert f"memory limit ({MEMORY_GB} GiB)" in rows[IDS[0]]["reason"], rows[IDS[0]]


def test_r8_a_fork_bomb_stops_at_the_process_limit(batch):
    row = batch[0]["r8_r11_limits_and_output"][IDS[2]]
    found = re.search(r"forked (\d+) processes, then (\w+)", row["reason"])
    assert row["points"] == 0 and found, row
    assert int(found[1]) < sandbox.MAX_PROCESSES and found[2] == "BlockingIOError", row


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
    assert set(rows) == set(IDS) and _total(rows) == 0, rows
    assert all(words in r["reason"] for r in rows.values()), rows


def test_r10_reordered_cells_and_extra_cells(batch):
    assert _total(batch[0]["r10_reordered"]) == FULL


def test_r11_output_bomb_stays_small(batch):
    _, csv_path, graded = batch
    row = batch[0]["r8_r11_limits_and_output"][IDS[1]]
    assert row["status"] == "passed", row  # printed 50 MB, then passed its test
    assert graded["r8_r11_limits_and_output"].stat().st_size < 2_000_000
    assert csv_path.stat().st_size < 20_000


def test_the_csv_has_one_row_per_student_and_exercise(batch):
    by_student, csv_path, _ = batch
    with open(csv_path) as f:
        table = list(csv.DictReader(f))
    assert len(table) == sum(len(rows) for rows in by_student.values())
    assert len(table) == 3 * 19 + len(by_student["real01_patched_checker"])
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
    assert sum(r["max_points"] for r in rows.values()) == FULL
    assert rows[IDS[0]]["points"] == 0 and _total(rows) == FULL - 1


def test_h3_editing_the_course_does_not_change_the_next_students_grade(batch):
    """h3a (writing the checker's files) is graded early, r2_h3b (honest, every answer wrong) last
    in the same batch; the batch fixture also checks that the course's files are byte-identical."""
    row = batch[0]["h3a_r7_h4_files_network_introspection"][IDS[0]]
    assert row["points"] == 0 and "wrote nothing" in row["reason"], row
    honest = batch[0]["r2_h3b_bad_values"]
    assert _total(honest) == 0 and all(r["status"] == "failed" for r in honest.values())


def test_h4_introspection_that_reaches_the_guard_is_refused(batch):
    rows = batch[0]["h3a_r7_h4_files_network_introspection"]
    assert "introspection allowed: []" in rows[IDS[2]]["reason"], rows[IDS[2]]
    assert "tampered" not in rows[IDS[2]]["reason"]  # refused, so nothing was changed


@pytest.mark.xfail(
    strict=True,
    raises=HoleStillOpen,  # only this: an error of the batch itself still fails the test
    reason="open hole in utils/guard.py: the audit hook signs 'ok' for any compiled source that "
    "starts with the marker, and the worker checks no per-run challenge or sequence, so verdicts "
    "minted before tampering can be replayed into the test cells while the hook's log descriptor "
    "is redirected to /dev/null",
)
def test_h5_replayed_evidence_earns_nothing(batch):
    rows = batch[0]["h5_replay_evidence"]
    assert set(rows) == set(IDS), rows
    if _total(rows):  # every answer is wrong
        raise HoleStillOpen(f"replayed evidence earned {_total(rows):g} of {FULL} points")


@pytest.mark.xfail(
    strict=True,
    raises=HoleStillOpen,
    reason="open hole in utils/guard.py: only the comparisons (np.allclose, torch.allclose, "
    "utils.check ...) are recorded; functions a test cell uses to compute its expected values "
    "(here np.mean; in 01: torch.nn.functional, scipy's linprog) can be patched unseen",
)
def test_h6_a_patched_reference_earns_nothing(batch):
    row = batch[0]["r1_r4_h6_exceptions_and_reference"][IDS[2]]
    if row["points"]:  # mse_grad answers zeros
        raise HoleStillOpen(f"a patched np.mean earned {row['points']:g} points: {row}")
