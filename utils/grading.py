"""Student versions and autograding, built on nbgrader's own preprocessors, with no gradebook
database.

    course student [NOTEBOOK ...] [--out build/student]     # solutions stubbed, hidden tests
    removed course student --self-study --out build/self-study      # the same, with collapsed
    worked solutions course bundle [build/bundle]                            # student notebooks +
    utils wheel + requirements course grade SUBMISSIONS [--csv scores.csv]             # fresh
    kernel per notebook, score table

Grading rebuilds each submission from the instructor notebook: every cell comes from the instructor
copy (test cells with their hidden tests included) except the solution cells, which are taken from
the submission by `grade_id`. Editing, deleting or moving a test cell therefore changes nothing. The
graded copy runs in `utils.sandbox` (own process, time, memory and output limits, instructor files
hidden) with a guard that fails a test cell when the checking functions were patched.
"""

import argparse
import copy
import csv
import hashlib
import json
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (
    CheckCellMetadata,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    LockCells,
)
from tqdm.auto import tqdm

from . import guard
from .paths import NOTEBOOK_DIR, REPO_ROOT
from .sandbox import CELL_TIMEOUT, MEMORY_GB, isolation_problem, run_notebook

SOLUTION_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
NOT_ATTEMPTED = "not attempted"
COLUMNS = [
    "student",
    "notebook",
    "exercise",
    "points",
    "max_points",
    "status",
    "reason",
    "seconds",
    "sandbox",
    "submission_sha256",
    "instructor_sha256",
]


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def is_solution(cell) -> bool:
    return bool(_meta(cell).get("solution"))


def is_test(cell) -> bool:
    """An autograded test cell: graded, not a solution, code."""
    m = _meta(cell)
    return bool(m.get("grade")) and not m.get("solution") and cell.get("cell_type") == "code"


def read(path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def student_version(nb: nbformat.NotebookNode, self_study: bool = False) -> nbformat.NotebookNode:
    """The notebook a student receives: nbgrader's generate_assignment steps, in its order.

    Check cells get the `raises-exception` tag, which JupyterLab's Run All, nbclient, nbval and
    nbgrader honour: a check of an unsolved exercise says so and Run All goes on. The self-study
    build also has, under each exercise, a collapsed Solution: the instructor's code and why it is
    right.
    """
    instructor = nb
    nb = copy.deepcopy(nb)
    resources = {}
    steps = [
        CheckCellMetadata(),
        ClearSolutions(code_stub={"python": SOLUTION_STUB}),
        ClearHiddenTests(),
        ClearMarkScheme(),
        LockCells(),
        ClearOutput(),
        ComputeChecksums(),
    ]
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    for cell in nb.cells:
        if is_test(cell):
            tags = cell.metadata.setdefault("tags", [])
            if "raises-exception" not in tags:
                tags.append("raises-exception")
    if self_study:
        solutions = {_meta(c)["grade_id"]: c.source for c in instructor.cells if is_solution(c)}
        cells = []
        for cell in nb.cells:
            cells.append(cell)
            if is_solution(cell):
                cells.append(
                    solution_cell(_meta(cell)["grade_id"], solutions[_meta(cell)["grade_id"]])
                )
        nb.cells = cells
    return nb


def solution_cell(grade_id: str, source: str) -> nbformat.NotebookNode:
    """A collapsed markdown block with a solution's code; its `# Why:` comment becomes prose."""
    why, code, in_why = [], [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped in ("### BEGIN SOLUTION", "### END SOLUTION"):
            continue
        in_why = stripped.startswith("# Why:") or (in_why and stripped.startswith("#"))
        if in_why:
            why.append(stripped.removeprefix("# Why:").lstrip("#").strip())
        else:
            code.append(line)
    code, why = "\n".join(code).rstrip(), " ".join(why)
    cell = nbformat.v4.new_markdown_cell(
        f"<details><summary>Solution</summary>\n\n```python\n{code}\n```\n\n"
        f"{why[:1].upper() + why[1:]}\n\n</details>",
        id=f"solution-{grade_id}",
    )
    cell.metadata["slideshow"] = {"slide_type": "skip"}
    return cell


def build_student(notebooks=None, out="build/student", self_study: bool = False) -> list[Path]:
    """Write the student version of each notebook (default: every one in notebooks/) into `out`."""
    paths = [Path(p) for p in notebooks] if notebooks else sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        target = out / path.name
        nbformat.write(student_version(read(path), self_study), str(target))
        written.append(target)
    return written


GUARD_ID, FINAL_ID = "grader-guard", "grader-final"


def merge(instructor: nbformat.NotebookNode, submission: nbformat.NotebookNode):
    """The graded copy: the instructor notebook with the submission's solution cells put in by
    grade_id.

    The grader's guard (`utils.guard`) is installed by a first cell, before any student code; every
    test cell starts with the guard's marker and is followed by a cell that verifies again after it;
    a last cell verifies once more. Returns (notebook, notes) where notes maps a test cell's
    grade_id to why it was restored ("edited", "missing") when the submission's copy differed from
    the instructor's.
    """
    answers = {
        _meta(c).get("grade_id"): c.get("source", "") for c in submission.cells if is_solution(c)
    }
    submitted_tests = {
        _meta(c).get("grade_id"): c.get("source", "") for c in submission.cells if is_test(c)
    }
    stubs = {
        _meta(c).get("grade_id"): "".join(c.source.split())
        for c in student_version(instructor).cells
        if is_solution(c)
    }
    graded, notes = copy.deepcopy(instructor), {}
    cells = [nbformat.v4.new_code_cell(guard.GUARD_SETUP, id=GUARD_ID)]
    for cell in graded.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        grade_id = _meta(cell).get("grade_id")
        cells.append(cell)
        if is_solution(cell):
            cell.source = answers.get(grade_id, SOLUTION_STUB)
            if "".join(cell.source.split()) in (
                stubs.get(grade_id),
                "".join(SOLUTION_STUB.split()),
            ):
                notes[grade_id] = NOT_ATTEMPTED
        elif is_test(cell):
            student_source = submitted_tests.get(grade_id)
            if student_source is None:
                notes[grade_id] = "test cell restored (missing in submission)"
            elif _public(student_source) != _public(cell.source):
                notes[grade_id] = "test cell restored (edited in submission)"
            cell.source = guard.marker(grade_id) + cell.source
            cells.append(
                nbformat.v4.new_code_cell(
                    guard.marker(_after(grade_id)) + "pass", id=f"grader-after-{cell.id}"
                )
            )
    cells.append(nbformat.v4.new_code_cell(guard.marker(guard.FINAL) + "pass", id=FINAL_ID))
    graded.cells = cells
    return graded, notes


def _after(grade_id: str) -> str:
    return f"after:{grade_id}"


def _public(source: str) -> str:
    """A test cell as the student sees it: hidden tests removed, whitespace ignored."""
    kept = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source, flags=re.S)
    return "".join(kept.split())


def _describe_error(out: dict, limits: dict) -> str:
    ename, evalue = out.get("ename", ""), (out.get("evalue") or "").strip()
    first = evalue.splitlines()[0] if evalue else ""
    if ename == "KeyboardInterrupt":
        return f"timed out: a cell ran longer than the {limits['cell_timeout']:g} s limit"
    if (
        "MemoryError" in (ename + evalue)
        or "can't allocate memory" in evalue
        or "Unable to allocate" in evalue
    ):
        return f"memory limit ({limits['memory_gb']:g} GiB) exceeded: {ename}: {first}"[:300]
    return f"{ename}: {first}".strip()[:300]


def _cell_failure(cell, limits) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return _describe_error(out, limits)
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "wrote to stderr: " + "".join(out.get("text", "")).strip()[:200]
    return ""


def score(
    graded: nbformat.NotebookNode,
    executed: nbformat.NotebookNode,
    run: dict,
    notes=None,
    limits=None,
) -> list[dict]:
    """One row per test cell of the graded copy, which comes from the instructor notebook.

    Which cells count, their grade_ids and their points are read from `graded`; the executed
    notebook contributes only the outputs and execution counts of those cells, matched by cell id. A
    test cell passes when it ran, showed no error, its kernel reply said "ok", and the guard's
    signed evidence says the checker was intact when the cell started and again right after it.
    """
    notes, limits = (
        notes or {},
        {"cell_timeout": CELL_TIMEOUT, "memory_gb": MEMORY_GB, **(limits or {})},
    )
    ran_cells = {c.get("id"): c for c in executed.cells}
    evidence = {cell: [tuple(e) for e in found] for cell, found in run.get("evidence", {}).items()}
    tampered = [v for found in evidence.values() for _, v in found if v.startswith("tampered")]
    rows, solution = [], None
    for cell in graded.cells:
        if is_solution(cell):
            solution = ran_cells.get(cell.id, cell)
        if not is_test(cell):
            continue
        grade_id, max_points = _meta(cell)["grade_id"], float(_meta(cell)["points"])
        ran = ran_cells.get(cell.id, {})
        error = _cell_failure(ran, limits)
        verified = (grade_id, "ok") in evidence.get(cell.id, [])
        confirmed = (_after(grade_id), "ok") in evidence.get(f"grader-after-{cell.id}", [])
        status, reason = "failed", ""
        if ran.get("execution_count") is None:
            status = "not run"
            reason = (
                f"kernel died or stopped before this cell ({run['note']})"
                if run.get("note")
                else "cell did not run"
            )
        elif error:
            reason = error
            before = _cell_failure(solution, limits) if solution is not None else ""
            if before:
                reason = (
                    f"solution cell {_meta(solution)['grade_id']} raised {before}; then {reason}"
                )
        elif run.get("replies", {}).get(cell.id) != "ok":
            reason = "the kernel reported an error in this cell that was not displayed"
        elif tampered:
            reason = "checker tampered"
        elif not verified:
            reason = "the grader's verification did not run in this cell (execution was re-routed)"
        elif not confirmed:
            reason = "the kernel died or was re-routed before the grader confirmed this test"
        else:
            status = "passed"
        if tampered:
            status, reason = "failed", tampered[0].replace("tampered: ", "checker tampered: ", 1)
        if (
            status != "passed"
            and solution is not None
            and notes.get(_meta(solution)["grade_id"]) == NOT_ATTEMPTED
        ):
            reason = NOT_ATTEMPTED  # the solution cell is the student build's stub, unchanged
        if grade_id in notes:
            reason = f"{reason}; {notes[grade_id]}" if reason else notes[grade_id]
        rows.append(
            dict(
                exercise=grade_id,
                points=max_points if status == "passed" else 0.0,
                max_points=max_points,
                status=status,
                reason=reason[:400],
            )
        )
    return rows


def _zero_rows(instructor, status, reason) -> list[dict]:
    return [
        dict(
            exercise=_meta(c)["grade_id"],
            points=0.0,
            max_points=float(_meta(c)["points"]),
            status=status,
            reason=reason,
        )
        for c in instructor.cells
        if is_test(c)
    ]


def load_submission(text: str, name: str, instructor) -> tuple[nbformat.NotebookNode | None, str]:
    """Parse a submission; (None, reason) if it is unreadable or from another assignment."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        return None, f"not a valid notebook file: {type(err).__name__}: {str(err)[:120]}"
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return None, "not a notebook: valid JSON but no list of cells"
    try:
        nb = nbformat.reads(json.dumps(raw), as_version=4)
    except Exception as err:
        return None, f"not a notebook: {type(err).__name__}: {str(err)[:120]}"
    wanted = {_meta(c).get("grade_id") for c in instructor.cells if is_solution(c) or is_test(c)}
    found = {_meta(c).get("grade_id") for c in nb.cells if "nbgrader" in c.get("metadata", {})}
    if wanted and not wanted & found:
        return None, f"from another assignment: none of its exercise ids match {name}"
    return nb, ""


def grade_task(task: dict) -> dict:
    """Grade one submission; everything it needs travels in `task`, so a Dask worker elsewhere can
    run it.

    task: student, name (file name), submission (text), instructor (text), cell_timeout, memory_gb,
    hide (paths to hide on this machine), unsafe, keep_executed. Returns the task's identity, its
    rows, seconds, the sandbox it ran in and, if asked, the executed notebook as JSON.
    """
    start = time.perf_counter()
    problem = isolation_problem()
    sandbox = "isolated" if not problem else f"UNSAFE: {problem}"
    result = {
        "student": task["student"],
        "name": task["name"],
        "sandbox": sandbox,
        "executed": None,
    }
    instructor = nbformat.reads(task["instructor"], as_version=4)
    submission, bad = load_submission(task["submission"], task["name"], instructor)
    if problem and not task.get("unsafe"):
        rows = _zero_rows(
            instructor, "error", f"refused: this machine cannot isolate the kernel ({problem})"
        )
    elif submission is None:
        rows = _zero_rows(instructor, "error", bad)
    else:
        graded, notes = merge(instructor, submission)
        limits = {"cell_timeout": task["cell_timeout"], "memory_gb": task["memory_gb"]}
        executed, run = run_notebook(
            graded,
            task["cell_timeout"],
            task["memory_gb"],
            task.get("hide", ()),
            isolate=not problem,
            threads=task.get("threads", 1),
        )
        rows = score(graded, executed, run, notes, limits)
        if task.get("keep_executed"):
            result["executed"] = nbformat.writes(executed)
    return {**result, "rows": rows, "seconds": round(time.perf_counter() - start, 1)}


def _task(
    student, path: Path, instructor_dir: Path, cell_timeout, memory_gb, hide, unsafe, keep_executed
):
    """The task for one submission, or its error rows if there is no instructor notebook for it."""
    instructor_path = instructor_dir / path.name
    if not instructor_path.exists():
        return [
            dict(
                exercise="-",
                points=0.0,
                max_points=0.0,
                status="error",
                reason=f"no instructor notebook named {path.name} in {instructor_dir}",
            )
        ]
    raw = path.read_bytes()
    instructor = instructor_path.read_bytes()
    hide = sorted(
        {str(Path(p).resolve()) for p in [instructor_dir, NOTEBOOK_DIR, REPO_ROOT / ".git", *hide]}
    )
    return {
        "student": student,
        "name": path.name,
        "submission": raw.decode("utf-8", "replace"),
        "instructor": instructor.decode(),
        "cell_timeout": cell_timeout,
        "memory_gb": memory_gb,
        "hide": hide,
        "unsafe": unsafe,
        "keep_executed": keep_executed,
        "submission_sha256": hashlib.sha256(raw).hexdigest(),
        "instructor_sha256": hashlib.sha256(instructor).hexdigest(),
    }


def find_submissions(root) -> list[tuple[str, Path]]:
    """(student, path) for every notebook under `root`; the student is the folder it sits in."""
    root = Path(root)
    if root.is_file():
        return [(root.parent.name, root)]
    found = [p for p in sorted(root.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts]
    return [("/".join(p.relative_to(root).parent.parts) or root.name, p) for p in found]


def write_csv(rows: list[dict], path) -> None:
    """Write the score table atomically: a killed grader never leaves half a file."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: row.get(k, "") for k in COLUMNS} for row in rows)
    os.replace(tmp, path)


def read_csv(path) -> list[dict]:
    """The rows of a score table written by `write_csv` (numbers as floats), or [] if none."""
    try:
        with open(path, newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, csv.Error):
        return []
    for r in rows:
        r["points"], r["max_points"], r["seconds"] = (
            float(r.get(k) or 0) for k in ("points", "max_points", "seconds")
        )
    return rows


def format_table(rows: list[dict]) -> str:
    """A plain-text score table with a total per submission."""
    lines = [
        f"{'student':<12} {'notebook':<28} {'exercise':<28} {'points':>9}  {'status':<8} reason"
    ]
    totals: dict[tuple, list[float]] = {}
    for r in rows:
        lines.append(
            f"{r['student']:<12} {r['notebook']:<28} {r['exercise']:<28} "
            f"{r['points']:>4g}/{r['max_points']:<4g}  {r['status']:<8} {r['reason'][:100]}"
        )
        t = totals.setdefault((r["student"], r["notebook"]), [0.0, 0.0])
        t[0] += r["points"]
        t[1] += r["max_points"]
    for (student, notebook), (got, of) in totals.items():
        lines.append(f"TOTAL {student} {notebook}: {got:g} / {of:g}")
    return "\n".join(lines)


def _run_local(tasks, jobs):
    with ThreadPoolExecutor(max_workers=jobs) as pool:  # each task waits on its own sandbox process
        futures = [pool.submit(grade_task, t) for t in tasks]
        for future in as_completed(futures):
            yield future.result()


def _run_dask(tasks, address):
    from distributed import Client
    from distributed import as_completed as dask_completed

    with Client(address) as client:
        futures = [client.submit(grade_task, t, pure=False) for t in tasks]
        for future in dask_completed(futures):
            yield future.result()


def autograde(
    root,
    instructor_dir=NOTEBOOK_DIR,
    cell_timeout: float = CELL_TIMEOUT,
    csv_path=None,
    memory_gb: float = MEMORY_GB,
    graded_dir=None,
    verbose: bool = True,
    jobs: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    unsafe: bool = False,
    progress: bool = False,
) -> list[dict]:
    """Grade every notebook under `root`; return (and print, and optionally write) the score rows.

    `jobs` submissions run at once on this machine, or on the Dask cluster at `scheduler`. With a
    CSV, rows are written as each submission finishes, and a submission already in the CSV with the
    same content and the same instructor notebook is not graded again (unless `force`). One broken
    or hostile submission never stops the batch: each runs in its own sandbox.
    """
    problem = isolation_problem()
    if problem and not unsafe:
        raise SystemExit(
            f"course grade: refusing to grade: this machine cannot isolate the kernel "
            f"({problem}). Run the grader as root on Linux (a container or VM is fine), "
            f"or pass --unsafe to grade without isolation."
        )
    if problem:
        print(
            f"WARNING: grading WITHOUT isolation ({problem}): a submission can read and write "
            f"what the "
            f"grader's user can. The CSV says UNSAFE on every row.",
            file=sys.stderr,
        )
    hide = [root, *([graded_dir] if graded_dir else [])]
    if csv_path:
        hide += [csv_path, Path(csv_path).with_name(Path(csv_path).name + ".tmp")]
    previous = {} if force or not csv_path else _by_submission(read_csv(csv_path))
    order, done, tasks = [], {}, {}
    for student, path in find_submissions(root):
        key = (student, path.stem)
        order.append(key)
        task = _task(
            student,
            path,
            Path(instructor_dir),
            cell_timeout,
            memory_gb,
            hide,
            unsafe,
            bool(graded_dir),
        )
        if isinstance(task, list):
            done[key] = [dict(student=student, notebook=path.stem, **r) for r in task]
            continue
        old = previous.get(key)
        sandbox = "isolated" if not problem else f"UNSAFE: {problem}"
        if (
            old
            and old[0]["submission_sha256"] == task["submission_sha256"]
            and old[0]["instructor_sha256"] == task["instructor_sha256"]
            and old[0]["sandbox"] == sandbox
        ):
            done[key] = old
        else:
            tasks[key] = task
    if verbose and len(done):
        print(f"{len(done)} submission(s) already graded in {csv_path}; grading {len(tasks)}")
    pending = list(tasks.values())
    results = _run_dask(pending, scheduler) if scheduler else _run_local(pending, jobs)
    for result in tqdm(
        results, total=len(tasks), desc="grading", unit="notebook", disable=not progress
    ):
        key = (result["student"], Path(result["name"]).stem)
        task = tasks[key]
        done[key] = [
            dict(
                student=key[0],
                notebook=key[1],
                **r,
                seconds=result["seconds"],
                sandbox=result["sandbox"],
                submission_sha256=task["submission_sha256"],
                instructor_sha256=task["instructor_sha256"],
            )
            for r in result["rows"]
        ]
        if graded_dir and result["executed"]:
            target = Path(graded_dir) / key[0] / result["name"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(result["executed"])
        if csv_path:
            write_csv([r for k in order if k in done for r in done[k]], csv_path)
    rows = [r for k in order for r in done[k]]
    if csv_path:
        write_csv(rows, csv_path)
    if verbose:
        print(format_table(rows))
    return rows


def _by_submission(rows: list[dict]) -> dict:
    grouped: dict[tuple, list[dict]] = {}
    for r in rows:
        grouped.setdefault((r["student"], r["notebook"]), []).append(r)
    return grouped


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="build the student version of notebooks")
    s.add_argument("notebooks", nargs="*", help="instructor notebooks (default: all in notebooks/)")
    s.add_argument("--out", default="build/student", help="output folder (default: build/student)")
    s.add_argument(
        "--self-study",
        action="store_true",
        help="add a collapsed worked Solution under each exercise (never for a graded course)",
    )
    b = sub.add_parser(
        "bundle", help="write what students receive: notebooks, the utils wheel, requirements"
    )
    b.add_argument(
        "out", nargs="?", default="build/bundle", help="output folder (default: build/bundle)"
    )
    g = sub.add_parser("grade", help="autograde a folder of completed notebooks")
    g.add_argument(
        "submissions", help="a notebook, or a folder of them (one sub-folder per student)"
    )
    g.add_argument("--instructor", default=str(NOTEBOOK_DIR), help="folder of instructor notebooks")
    g.add_argument(
        "--timeout",
        type=float,
        default=CELL_TIMEOUT,
        help=f"seconds allowed per cell (default {CELL_TIMEOUT})",
    )
    g.add_argument(
        "--memory-gb",
        type=float,
        default=MEMORY_GB,
        help=f"memory limit of each kernel in GiB (default {MEMORY_GB})",
    )
    g.add_argument(
        "--csv", help="write the score table here as submissions finish; re-running resumes"
    )
    g.add_argument(
        "--graded", help="write each graded notebook (with outputs, for feedback) into this folder"
    )
    g.add_argument(
        "--jobs", type=int, default=1, help="submissions graded at once on this machine (default 1)"
    )
    g.add_argument("--scheduler", help="grade on this Dask cluster instead (e.g. tcp://host:8786)")
    g.add_argument("--force", action="store_true", help="regrade submissions already in the CSV")
    g.add_argument(
        "--unsafe",
        action="store_true",
        help="grade even where the kernel cannot be isolated (not root); the CSV says so",
    )
    args = parser.parse_args(argv)
    if args.command == "student":
        for path in build_student(args.notebooks, args.out, args.self_study):
            print(f"wrote {path}")
        return 0
    if args.command == "bundle":
        from .bundle import build_bundle

        print(f"wrote the student bundle to {build_bundle(args.out)}")
        return 0
    if not Path(args.submissions).exists():
        parser.error(f"no such file or folder: {args.submissions}")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    autograde(
        args.submissions,
        args.instructor,
        args.timeout,
        args.csv,
        args.memory_gb,
        args.graded,
        jobs=args.jobs,
        scheduler=args.scheduler,
        force=args.force,
        unsafe=args.unsafe,
        progress=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
