"""Student versions and autograding, built on nbgrader's own preprocessors, with no gradebook database.

    course student [NOTEBOOK ...] [--out build/student]     # solutions stubbed, hidden tests removed
    course grade SUBMISSIONS [--csv scores.csv]             # fresh kernel per notebook, score table

Grading rebuilds each submission from the instructor notebook: every cell comes from the instructor
copy (test cells with their hidden tests included) except the solution cells, which are taken from
the submission by `grade_id`. Editing, deleting or moving a test cell therefore changes nothing.
"""
import argparse
import copy
import csv
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
                                    ClearSolutions, ComputeChecksums, LockCells)
from nbgrader.utils import determine_grade

from .paths import NOTEBOOK_DIR

SOLUTION_STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
COLUMNS = ["student", "notebook", "exercise", "points", "max_points", "status", "reason"]


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


def student_version(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook a student receives: nbgrader's generate_assignment steps, in its order."""
    nb = copy.deepcopy(nb)
    resources = {}
    steps = [CheckCellMetadata(), ClearSolutions(code_stub={"python": SOLUTION_STUB}), ClearHiddenTests(),
             ClearMarkScheme(), LockCells(), ClearOutput(), ComputeChecksums()]
    for step in steps:
        nb, resources = step.preprocess(nb, resources)
    return nb


def build_student(notebooks=None, out="build/student") -> list[Path]:
    """Write the student version of each notebook (default: every one in notebooks/) into `out`."""
    paths = [Path(p) for p in notebooks] if notebooks else sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        target = out / path.name
        nbformat.write(student_version(read(path)), str(target))
        written.append(target)
    return written


def merge(instructor: nbformat.NotebookNode, submission: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The instructor notebook with the submission's solution cells put in by grade_id."""
    answers = {_meta(c).get("grade_id"): c.get("source", "") for c in submission.cells if is_solution(c)}
    graded = copy.deepcopy(instructor)
    for cell in graded.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_solution(cell):
            cell.source = answers.get(_meta(cell)["grade_id"], SOLUTION_STUB)
    return graded


def execute(nb: nbformat.NotebookNode, cell_timeout: float = 120) -> str:
    """Run `nb` in place in a fresh kernel in an empty folder; return a note if the run stopped early."""
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                                interrupt_on_timeout=True, resources={"metadata": {"path": workdir}})
        try:
            client.execute()
        except Exception as err:  # a dead kernel or a hung cell: score what ran
            return f"run stopped: {type(err).__name__}: {str(err).strip().splitlines()[0] if str(err).strip() else ''}"
    return ""


def _first_error_line(cell) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            message = (out.get("evalue") or "").strip().splitlines()
            return f"{out.get('ename')}: {message[0] if message else ''}".strip()
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "wrote to stderr: " + "".join(out.get("text", "")).strip().splitlines()[0][:200]
    return ""


def score(nb: nbformat.NotebookNode, note: str = "") -> list[dict]:
    """One row per test cell of an executed notebook."""
    rows = []
    for cell in nb.cells:
        if not is_test(cell):
            continue
        points, max_points = determine_grade(cell)
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        if not ran:
            status, points, reason = "not run", 0.0, note or "cell did not run"
        else:
            status = "passed" if points == max_points else "failed"
            reason = _first_error_line(cell) if status == "failed" else ""
        rows.append(dict(exercise=_meta(cell)["grade_id"], points=float(points or 0), max_points=max_points,
                         status=status, reason=reason))
    return rows


def grade_submission(path, instructor_dir=NOTEBOOK_DIR, cell_timeout: float = 120) -> list[dict]:
    """Score one submitted notebook against the instructor notebook of the same file name."""
    path = Path(path)
    instructor_path = Path(instructor_dir) / path.name
    if not instructor_path.exists():
        return [dict(exercise="-", points=0.0, max_points=0.0, status="error",
                     reason=f"no instructor notebook named {path.name} in {instructor_dir}")]
    instructor = read(instructor_path)
    try:
        submission = read(path)
    except Exception as err:
        return [dict(exercise=_meta(c)["grade_id"], points=0.0, max_points=float(_meta(c)["points"]),
                     status="error", reason=f"unreadable notebook: {type(err).__name__}")
                for c in instructor.cells if is_test(c)]
    graded = merge(instructor, submission)
    note = execute(graded, cell_timeout)
    return score(graded, note)


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
        writer.writerows({k: row[k] for k in COLUMNS} for row in rows)
    os.replace(tmp, path)


def format_table(rows: list[dict]) -> str:
    """A plain-text score table with a total per submission."""
    lines = [f"{'student':<12} {'notebook':<28} {'exercise':<28} {'points':>9}  {'status':<8} reason"]
    totals: dict[tuple, list[float]] = {}
    for r in rows:
        lines.append(f"{r['student']:<12} {r['notebook']:<28} {r['exercise']:<28} "
                     f"{r['points']:>4g}/{r['max_points']:<4g}  {r['status']:<8} {r['reason'][:100]}")
        t = totals.setdefault((r["student"], r["notebook"]), [0.0, 0.0])
        t[0] += r["points"]
        t[1] += r["max_points"]
    for (student, notebook), (got, of) in totals.items():
        lines.append(f"TOTAL {student} {notebook}: {got:g} / {of:g}")
    return "\n".join(lines)


def autograde(root, instructor_dir=NOTEBOOK_DIR, cell_timeout: float = 120, csv_path=None,
              verbose: bool = True) -> list[dict]:
    """Grade every notebook under `root`; return (and print, and optionally write) the score rows."""
    rows = []
    for student, path in find_submissions(root):
        for row in grade_submission(path, instructor_dir, cell_timeout):
            rows.append(dict(student=student, notebook=path.stem, **row))
    if csv_path:
        write_csv(rows, csv_path)
    if verbose:
        print(format_table(rows))
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="course", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("student", help="build the student version of notebooks")
    s.add_argument("notebooks", nargs="*", help="instructor notebooks (default: all in notebooks/)")
    s.add_argument("--out", default="build/student", help="output folder (default: build/student)")
    g = sub.add_parser("grade", help="autograde a folder of completed notebooks")
    g.add_argument("submissions", help="a notebook, or a folder of them (one sub-folder per student)")
    g.add_argument("--instructor", default=str(NOTEBOOK_DIR), help="folder of instructor notebooks")
    g.add_argument("--timeout", type=float, default=120, help="seconds allowed per cell (default 120)")
    g.add_argument("--csv", help="also write the score table to this CSV file")
    args = parser.parse_args(argv)
    if args.command == "student":
        for path in build_student(args.notebooks, args.out):
            print(f"wrote {path}")
        return 0
    if not Path(args.submissions).exists():
        parser.error(f"no such file or folder: {args.submissions}")
    autograde(args.submissions, args.instructor, args.timeout, args.csv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
