"""Grading a class: N at once, on a Dask cluster, resumable.

The class submits the tiny assignment of tests/fixtures (three exercises with hidden tests and a
`%%needs` lecture cell), so a submission costs a kernel start; the sandbox and the scoring are the
ones every course notebook goes through. One module fixture grades the class three ways, and the
tests compare them: `course grade --jobs 1`, killed with its sandboxes in the middle of the batch
and then resumed; `course grade --force --jobs 2` over the same CSV; and a Dask cluster of two
worker processes, which grades beside the command line.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from utils import grading

pytestmark = pytest.mark.xdist_group("parallel-grading")
# The tiny instructor notebook, stored as .json so that nbval (which runs every *.ipynb under
# tests/) leaves it alone; in a batch it is NAME.
FIXTURE = Path(__file__).parent / "fixtures" / "tiny_assignment.ipynb.json"
NAME = "tiny_assignment.ipynb"
SAME = [c for c in grading.COLUMNS if c != "seconds"]  # everything but the wall time must agree
EXPECTED = {"ann": 6, "bob": 1, "eve": 0}  # graded in this order
WRONG_ROW_MEANS = "def row_means(X):\n    return X.sum(axis=1)"


def _class(root):
    teacher = root / "instructor"
    teacher.mkdir()
    shutil.copy(FIXTURE, teacher / NAME)
    instructor = grading.read(FIXTURE)
    answers = {
        grading._meta(c)["grade_id"]: c.source for c in instructor.cells if grading.is_solution(c)
    }
    ann = grading.student_version(instructor)  # every exercise solved
    bob = grading.student_version(instructor)  # 1: one right, one wrong, one not attempted
    for nb, solved in ((ann, ("ex1_relu", "ex2_row_means", "ex3_mse_grad")), (bob, ("ex1_relu",))):
        for cell in nb.cells:
            grade_id = grading._meta(cell).get("grade_id")
            if grade_id in solved:
                cell.source = answers[grade_id]
            elif grade_id == "ex2_row_means":
                cell.source = WRONG_ROW_MEANS
    subs = root / "subs"
    for student, nb in (("ann", ann), ("bob", bob)):
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, str(subs / student / NAME))
    (subs / "eve").mkdir()
    (subs / "eve" / NAME).write_text("not a notebook")
    return subs, teacher


def _totals(rows):
    totals = {}
    for r in rows:
        totals[r["student"]] = totals.get(r["student"], 0) + float(r["points"])
    return totals


def _same_columns(rows):
    return [tuple(str(r[c]) for c in SAME) for r in rows]


def _graded(csv_path):
    return {r["student"] for r in grading.read_csv(csv_path) if r["status"] != "error"}


def _command_line(cmd, csv_path):
    """`course grade --jobs 1` killed mid-batch, then resumed; then `--jobs 2 --force`."""
    steps = {}
    proc = subprocess.Popen(
        cmd + ["--jobs", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 600
    while time.time() < deadline and "ann" not in _graded(csv_path) and proc.poll() is None:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader and its sandboxes, as a reboot would
    proc.wait()
    steps["killed"] = grading.read_csv(csv_path)
    steps["resumed run"] = subprocess.run(
        cmd + ["--jobs", "1"], capture_output=True, text=True, timeout=600
    )
    steps["resumed"] = grading.read_csv(csv_path)
    steps["forced run"] = subprocess.run(
        cmd + ["--jobs", "2", "--force"], capture_output=True, text=True, timeout=600
    )
    steps["forced"] = grading.read_csv(csv_path)
    return steps


@pytest.fixture(scope="module")
def graded_three_ways(tmp_path_factory):
    """The CSV after each step: killed, resumed (together: --jobs 1), forced (--jobs 2), Dask.

    The command-line steps run in a thread beside the Dask cluster, which uses the core that
    `--jobs 1` leaves idle; they share nothing but the class's files."""
    from distributed import LocalCluster

    root = tmp_path_factory.mktemp("class")
    subs, teacher = _class(root)
    csv_path = root / "scores.csv"
    cmd = [sys.executable, "-m", "utils.grading", "grade", str(subs), "--instructor", str(teacher)]
    cmd += ["--csv", str(csv_path), "--timeout", "60"]
    with ThreadPoolExecutor(max_workers=1) as pool:
        command_line = pool.submit(_command_line, cmd, csv_path)
        with LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            grading.autograde(
                subs,
                teacher,
                cell_timeout=60,
                csv_path=root / "dask.csv",
                verbose=False,
                scheduler=cluster.scheduler_address,
            )
        steps = command_line.result()
    steps["dask"] = grading.read_csv(root / "dask.csv")
    return steps


def test_the_class_is_scored_as_expected(graded_three_ways):
    rows = graded_three_ways["resumed"]
    assert _totals(rows) == EXPECTED
    bob = {r["exercise"]: r for r in rows if r["student"] == "bob"}
    assert bob["ex1_relu_check"]["status"] == "passed"
    assert "ExerciseFailure: row_means" in bob["ex2_row_means_check"]["reason"]
    assert bob["ex3_mse_grad_check"]["reason"] == grading.NOT_ATTEMPTED
    assert all("not a valid notebook" in r["reason"] for r in rows if r["student"] == "eve")


def test_a_killed_batch_resumes_without_regrading_finished_submissions(graded_three_ways):
    first, run = graded_three_ways["killed"], graded_three_ways["resumed run"]
    finished = {r["student"] for r in first}
    assert finished == {"ann"}, finished  # bob's sandbox was killed in the middle
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 submission(s) already graded" in run.stdout
    rows = graded_three_ways["resumed"]
    kept = [r for r in rows if r["student"] in finished]
    assert _same_columns(kept) + [r["seconds"] for r in kept] == _same_columns(first) + [
        r["seconds"] for r in first
    ]  # not regraded: same time column too


def test_force_regrades_every_submission(graded_three_ways):
    run = graded_three_ways["forced run"]
    assert run.returncode == 0, run.stdout + run.stderr
    assert "already graded" not in run.stdout
    assert _totals(graded_three_ways["forced"]) == EXPECTED


def test_jobs_1_jobs_2_and_a_dask_cluster_give_the_same_csv(graded_three_ways):
    jobs1, jobs2 = graded_three_ways["resumed"], graded_three_ways["forced"]
    dask = graded_three_ways["dask"]
    assert _totals(jobs1) == EXPECTED
    assert _same_columns(jobs1) == _same_columns(jobs2) == _same_columns(dask)
    assert all(r["seconds"] > 0 for r in jobs2 + dask if r["student"] != "eve")
