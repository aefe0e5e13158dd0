"""Grading a class: N at once, on a Dask cluster, resumable. A tiny assignment keeps these fast; the
sandbox and the scoring are the ones every course notebook goes through."""

import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from utils import grading

pytestmark = pytest.mark.xdist_group("parallel-grading")
NAME = "tiny.ipynb"
SAME = [c for c in grading.COLUMNS if c != "seconds"]  # everything but the wall time must agree


def _cell(source, **nbgrader):
    cell = nbformat.v4.new_code_cell(source)
    if nbgrader:
        cell.metadata["nbgrader"] = {
            "schema_version": 3,
            "task": False,
            "locked": not nbgrader["solution"],
            "grade": not nbgrader["solution"],
            **nbgrader,
        }
    return cell


def _instructor(pause=0.0):
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell(f"import time\nimport numpy as np\nimport utils\ntime.sleep({pause})"),
        _cell(
            "def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
            grade_id="double",
            solution=True,
        ),
        _cell(
            'utils.check("double", double, [((np.arange(3),), 2 * np.arange(3), "0, 1, 2")])',
            grade_id="double_check",
            solution=False,
            points=1,
        ),
        _cell(
            "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION",
            grade_id="square",
            solution=True,
        ),
        _cell(
            'utils.check("square", square, [((np.arange(3),), np.arange(3) ** 2, "0, 1, 2")])',
            grade_id="square_check",
            solution=False,
            points=2,
        ),
    ]
    return nb


def _class(root, pause=0.0):
    teacher = root / "instructor"
    teacher.mkdir()
    nbformat.write(_instructor(pause), str(teacher / NAME))
    subs = root / "subs"
    answers = {
        "ann": ("2 * x", "x * x"),
        "bob": ("x + x", "x ** 3"),
        "cy": ("x", "x ** 2"),
        "dee": ("raise NotImplementedError()", "raise NotImplementedError()"),
    }
    for student, (double, square) in answers.items():
        nb = _instructor(pause)
        nb.cells[1].source = f"def double(x):\n    return {double}"
        nb.cells[3].source = f"def square(x):\n    return {square}"
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, str(subs / student / NAME))
    (subs / "eve").mkdir()
    (subs / "eve" / NAME).write_text("not a notebook")
    return subs, teacher


EXPECTED = {"ann": 3, "bob": 1, "cy": 2, "dee": 0, "eve": 0}


def _totals(rows):
    totals = {}
    for r in rows:
        totals[r["student"]] = totals.get(r["student"], 0) + float(r["points"])
    return totals


def _same_columns(rows):
    return [tuple(str(r[c]) for c in SAME) for r in rows]


def test_jobs_1_jobs_2_and_a_dask_cluster_give_the_same_csv(tmp_path):
    from distributed import LocalCluster

    subs, teacher = _class(tmp_path)
    tables = {}
    for engine in ("jobs1", "jobs2", "dask"):
        csv_path = tmp_path / f"{engine}.csv"
        if engine == "dask":
            with LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster:
                grading.autograde(
                    subs,
                    teacher,
                    cell_timeout=60,
                    csv_path=csv_path,
                    verbose=False,
                    scheduler=cluster.scheduler_address,
                )
        else:
            grading.autograde(
                subs,
                teacher,
                cell_timeout=60,
                csv_path=csv_path,
                verbose=False,
                jobs=int(engine[-1]),
            )
        tables[engine] = grading.read_csv(csv_path)
    assert _totals(tables["jobs1"]) == EXPECTED
    assert (
        _same_columns(tables["jobs1"])
        == _same_columns(tables["jobs2"])
        == _same_columns(tables["dask"])
    )
    assert all(r["seconds"] > 0 for r in tables["jobs2"] if r["student"] != "eve")


def test_a_killed_batch_resumes_without_regrading_finished_submissions(tmp_path):
    subs, teacher = _class(tmp_path, pause=2.0)
    csv_path = tmp_path / "scores.csv"
    cmd = [
        sys.executable,
        "-m",
        "utils.grading",
        "grade",
        str(subs),
        "--instructor",
        str(teacher),
        "--csv",
        str(csv_path),
        "--jobs",
        "1",
        "--timeout",
        "60",
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.time() + 600
    while time.time() < deadline and len({r["student"] for r in grading.read_csv(csv_path)}) < 2:
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # the grader and its sandboxes, as a reboot would
    proc.wait()
    first = grading.read_csv(csv_path)
    finished = {r["student"] for r in first}
    assert 2 <= len(finished) < len(EXPECTED), finished
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"{len(finished)} submission(s) already graded" in again.stdout
    rows = grading.read_csv(csv_path)
    assert _totals(rows) == EXPECTED
    kept = [r for r in rows if r["student"] in finished]
    assert _same_columns(kept) + [r["seconds"] for r in kept] == _same_columns(first) + [
        r["seconds"] for r in first
    ]  # not regraded: same time column too
    forced = subprocess.run(cmd + ["--force"], capture_output=True, text=True, timeout=600)
    assert "already graded" not in forced.stdout and _totals(grading.read_csv(csv_path)) == EXPECTED
