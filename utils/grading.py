"""Student versions and autograding, built on nbgrader's own preprocessors, with no gradebook database.

    course student [NOTEBOOK ...] [--out build/student]     # solutions stubbed, hidden tests removed
    course grade SUBMISSIONS [--csv scores.csv]             # fresh kernel per notebook, score table

Grading rebuilds each submission from the instructor notebook: every cell comes from the instructor
copy (test cells with their hidden tests included) except the solution cells, which are taken from
the submission by `grade_id`. Editing, deleting or moving a test cell therefore changes nothing. The
graded copy runs in `utils.sandbox` (own process, time, memory and output limits, instructor files
hidden) with a guard that fails a test cell when the checking functions were patched.
"""
import argparse
import copy
import csv
import json
import os
import re
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
                                    ClearSolutions, ComputeChecksums, LockCells)
from nbgrader.utils import determine_grade

from .paths import NOTEBOOK_DIR, REPO_ROOT
from .sandbox import run_notebook

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


# Injected into the graded copy: records the checking functions before any student code runs, and
# verifies them at the top of every test cell, so a solution that patches the checker scores 0.
GUARD_SETUP = """\
def __course_guard():
    import builtins, copy, sys, numpy, torch, utils, utils.checks as checks
    watched = {"utils.check": (utils, "check"), "utils.checks.check": (checks, "check"),
               "utils.checks._mismatch": (checks, "_mismatch"), "utils.checks.np": (checks, "np"),
               "utils.checks.torch": (checks, "torch"), "utils.checks.copy": (checks, "copy"),
               "numpy.allclose": (numpy, "allclose"), "numpy.isclose": (numpy, "isclose"),
               "numpy.array_equal": (numpy, "array_equal"), "numpy.asarray": (numpy, "asarray"),
               "numpy.testing.assert_allclose": (numpy.testing, "assert_allclose"),
               "torch.allclose": (torch, "allclose"), "torch.equal": (torch, "equal"),
               "torch.testing.assert_close": (torch.testing, "assert_close")}
    watched.update({f"builtins.{n}": (builtins, n) for n in ("isinstance", "len", "abs", "all", "any", "float",
                                                             "callable", "AssertionError", "Exception")})
    original = {k: getattr(o, a) for k, (o, a) in watched.items()}
    code = {k: f.__code__ for k, f in original.items() if hasattr(f, "__code__")}
    modules = {"utils": utils, "numpy": numpy, "torch": torch, "np": numpy}

    def verify(namespace):
        bad = [k for k, (o, a) in watched.items() if getattr(o, a, None) is not original[k]]
        bad += [k for k, c in code.items() if original[k].__code__ is not c]
        bad += [f"sys.modules[{m!r}]" for m in ("utils", "numpy", "torch") if sys.modules.get(m) is not modules[m]]
        bad += [name for name, mod in modules.items() if name in namespace and namespace[name] is not mod]
        if bad:
            raise AssertionError("checker tampered: " + ", ".join(sorted(set(bad))))
    return verify
__course_verify = __course_guard()
del __course_guard"""
GUARD_CHECK = "__course_verify(globals())  # inserted by the grader\n"


def merge(instructor: nbformat.NotebookNode, submission: nbformat.NotebookNode):
    """The graded copy: the instructor notebook with the submission's solution cells put in by grade_id.

    Returns (notebook, notes) where notes maps a test cell's grade_id to why it was restored
    ("edited", "missing") when the submission's copy differed from the instructor's.
    """
    answers = {_meta(c).get("grade_id"): c.get("source", "") for c in submission.cells if is_solution(c)}
    submitted_tests = {_meta(c).get("grade_id"): c.get("source", "") for c in submission.cells if is_test(c)}
    graded, notes = copy.deepcopy(instructor), {}
    for cell in graded.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        grade_id = _meta(cell).get("grade_id")
        if is_solution(cell):
            cell.source = answers.get(grade_id, SOLUTION_STUB)
        elif is_test(cell):
            student_source = submitted_tests.get(grade_id)
            if student_source is None:
                notes[grade_id] = "test cell restored (missing in submission)"
            elif _public(student_source) != _public(cell.source):
                notes[grade_id] = "test cell restored (edited in submission)"
            cell.source = GUARD_CHECK + cell.source
    graded.cells.insert(0, nbformat.v4.new_code_cell(GUARD_SETUP, id="grader-guard"))
    return graded, notes


def _public(source: str) -> str:
    """A test cell as the student sees it: hidden tests removed, whitespace ignored."""
    kept = re.sub(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", "", source, flags=re.S)
    return "".join(kept.split())


def _describe_error(out: dict, limits: dict) -> str:
    ename, evalue = out.get("ename", ""), (out.get("evalue") or "").strip()
    first = evalue.splitlines()[0] if evalue else ""
    if ename == "KeyboardInterrupt":
        return f"timed out: a cell ran longer than the {limits['cell_timeout']:g} s limit"
    if "MemoryError" in (ename + evalue) or "can't allocate memory" in evalue or "Unable to allocate" in evalue:
        return f"memory limit ({limits['memory_gb']:g} GiB) exceeded: {ename}: {first}"[:300]
    return f"{ename}: {first}".strip()[:300]


def _cell_failure(cell, limits) -> str:
    for out in cell.get("outputs", []):
        if out.get("output_type") == "error":
            return _describe_error(out, limits)
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            return "wrote to stderr: " + "".join(out.get("text", "")).strip()[:200]
    return ""


def score(nb: nbformat.NotebookNode, note: str = "", notes=None, limits=None) -> list[dict]:
    """One row per test cell of an executed graded copy."""
    notes, limits = notes or {}, {"cell_timeout": 120, "memory_gb": 4, **(limits or {})}
    rows, solution = [], None
    for cell in nb.cells:
        if is_solution(cell):
            solution = cell
        if not is_test(cell):
            continue
        grade_id = _meta(cell)["grade_id"]
        points, max_points = determine_grade(cell)
        ran = cell.get("execution_count") is not None or cell.get("outputs")
        if not ran:
            status, points = "not run", 0.0
            reason = f"kernel died or stopped before this cell ({note})" if note else "cell did not run"
        elif points == max_points:
            status, reason = "passed", ""
        else:
            status, reason = "failed", _cell_failure(cell, limits)
            before = _cell_failure(solution, limits) if solution is not None else ""
            if before:
                reason = f"solution cell {_meta(solution)['grade_id']} raised {before}; then {reason}"
        if grade_id in notes:
            reason = f"{reason}; {notes[grade_id]}" if reason else notes[grade_id]
        rows.append(dict(exercise=grade_id, points=float(points or 0), max_points=max_points,
                         status=status, reason=reason[:400]))
    return rows


def _zero_rows(instructor, status, reason) -> list[dict]:
    return [dict(exercise=_meta(c)["grade_id"], points=0.0, max_points=float(_meta(c)["points"]),
                 status=status, reason=reason) for c in instructor.cells if is_test(c)]


def load_submission(path, instructor) -> tuple[nbformat.NotebookNode | None, str]:
    """Read a submitted notebook; (None, reason) if it is unreadable or belongs to another assignment."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
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
        return None, f"from another assignment: none of its exercise ids match {Path(path).name}"
    return nb, ""


def grade_submission(path, instructor_dir=NOTEBOOK_DIR, cell_timeout: float = 120, memory_gb: float = 4,
                     hide=(), graded_dir=None) -> list[dict]:
    """Score one submitted notebook against the instructor notebook of the same file name."""
    path = Path(path)
    instructor_path = Path(instructor_dir) / path.name
    if not instructor_path.exists():
        return [dict(exercise="-", points=0.0, max_points=0.0, status="error",
                     reason=f"no instructor notebook named {path.name} in {instructor_dir}")]
    instructor = read(instructor_path)
    submission, problem = load_submission(path, instructor)
    if submission is None:
        return _zero_rows(instructor, "error", problem)
    graded, notes = merge(instructor, submission)
    hide = {str(Path(p).resolve()) for p in [instructor_dir, NOTEBOOK_DIR, REPO_ROOT / ".git", *hide]}
    graded, note, _ = run_notebook(graded, cell_timeout, memory_gb, sorted(hide))
    if graded_dir:
        target = Path(graded_dir) / path.parent.name / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(graded, str(target))
    return score(graded, note, notes, {"cell_timeout": cell_timeout, "memory_gb": memory_gb})


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


def autograde(root, instructor_dir=NOTEBOOK_DIR, cell_timeout: float = 120, csv_path=None, memory_gb: float = 4,
              graded_dir=None, verbose: bool = True) -> list[dict]:
    """Grade every notebook under `root`; return (and print, and optionally write) the score rows.

    One broken or hostile submission never stops the batch: each runs in its own sandboxed process,
    and the submissions folder is hidden from it along with the instructor's files.
    """
    rows = []
    for student, path in find_submissions(root):
        try:
            result = grade_submission(path, instructor_dir, cell_timeout, memory_gb, hide=[root], graded_dir=graded_dir)
        except Exception as err:  # a bug of ours must not lose the other students' scores
            result = [dict(exercise="-", points=0.0, max_points=0.0, status="error",
                           reason=f"grader error: {type(err).__name__}: {err}"[:300])]
        rows += [dict(student=student, notebook=path.stem, **row) for row in result]
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
    g.add_argument("--memory-gb", type=float, default=4, help="memory limit of each kernel in GiB (default 4)")
    g.add_argument("--csv", help="also write the score table to this CSV file")
    g.add_argument("--graded", help="write each graded notebook (with outputs, for feedback) into this folder")
    args = parser.parse_args(argv)
    if args.command == "student":
        for path in build_student(args.notebooks, args.out):
            print(f"wrote {path}")
        return 0
    if not Path(args.submissions).exists():
        parser.error(f"no such file or folder: {args.submissions}")
    autograde(args.submissions, args.instructor, args.timeout, args.csv, args.memory_gb, args.graded)
    return 0


if __name__ == "__main__":
    sys.exit(main())
