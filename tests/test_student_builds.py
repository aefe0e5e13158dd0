"""The student's chair: the builds students receive run, say what is missing, and grade as promised.

One execution per notebook proves several things: grading the untouched student build in the sandbox
is also its Run All (every lecture cell runs or says which exercise it needs; every check says "not
attempted yet"), and grading the student build with the instructor's solutions pasted back is also
the full-marks test and the proof that the lecture runs on the student's own code.
"""

import ast
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

from conftest import NOTEBOOKS
from utils import exercises, grading

NEEDS = re.compile(r"\A%%needs (.*)")
SKIPPED = re.compile(r"Skipped: this cell needs .*? from (Exercise \d+)")
GRADER_CELLS = (grading.GUARD_ID, grading.FINAL_ID)
# CI runs three workers on two cores, so a cell may take twice its quiet time: these tests give each
# cell nbval's limit (pyproject.toml), not the grader's default, which a quiet grading machine uses.
CELL_TIMEOUT = 300


def _exercises(nb) -> dict[str, set[str]]:
    """'Exercise k' -> the names its solution cell defines (functions, classes, assignments)."""
    found, current = {}, None
    for cell in nb.cells:
        heading = (
            re.match(r"#+ (Exercise \d+)\b", cell.source) if cell.cell_type == "markdown" else None
        )
        if heading:
            current = heading[1]
        if grading.is_solution(cell) and current:
            tree = ast.parse(re.sub(r"^\s*###.*$", "", cell.source, flags=re.M))
            names = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            names |= {
                t.id
                for n in tree.body
                if isinstance(n, ast.Assign)
                for t in n.targets
                if isinstance(t, ast.Name)
            }
            found.setdefault(current, set()).update(names)
    return found


def _errors(cell) -> list[dict]:
    return [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]


def _text(cell) -> str:
    return "".join(
        o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream"
    )


def _grade(tmp_path, path, submission, student="student"):
    """Grade `submission` against `path`'s instructor notebook; (rows, executed notebook)."""
    folder = tmp_path / "submissions" / student
    folder.mkdir(parents=True)
    nbformat.write(submission, str(folder / path.name))
    rows = grading.autograde(
        tmp_path / "submissions",
        path.parent,
        graded_dir=tmp_path / "graded",
        cell_timeout=CELL_TIMEOUT,
    )
    return rows, nbformat.read(str(tmp_path / "graded" / student / path.name), as_version=4)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_needs_cells_name_real_exercises(path):
    nb = grading.read(path)
    defined, seen = _exercises(nb), set()
    for i, cell in enumerate(nb.cells):
        heading = (
            re.match(r"#+ (Exercise \d+)\b", cell.source) if cell.cell_type == "markdown" else None
        )
        if heading:
            seen.add(heading[1])
        match = NEEDS.match(cell.source) if cell.cell_type == "code" else None
        if not match:
            continue
        assert not grading.is_test(cell) and not grading.is_solution(cell), (
            f"cell {i}: %%needs on an exercise"
        )
        exercise, names = exercises.parse(match[1])
        assert exercise in defined, f"cell {i} needs {exercise}, which {path.stem} does not have"
        assert exercise in seen, f"cell {i} needs {exercise}, which comes after it"
        assert set(names) <= defined[exercise], f"cell {i}: {exercise} does not define {names}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_builds_continue_past_checks_and_self_study_differs_only_by_solutions(path):
    instructor = grading.read(path)
    graded, self_study = (
        grading.student_version(instructor),
        grading.student_version(instructor, True),
    )
    for cell in graded.cells:
        if grading.is_test(cell):
            assert "raises-exception" in cell.metadata.get("tags", []), (
                "Run All would stop at this check"
            )
    code = lambda nb: [c.source for c in nb.cells if c.cell_type == "code"]
    assert code(graded) == code(self_study)  # so running one build runs the other
    solutions = [c for c in self_study.cells if "<summary>Solution</summary>" in c.source]
    assert len(solutions) == sum(map(grading.is_solution, instructor.cells))
    assert all("Why" not in s.source and s.source.count("```python") == 1 for s in solutions)
    assert not any("<summary>Solution</summary>" in c.source for c in graded.cells)
    for cell in instructor.cells:
        if grading.is_solution(cell):
            region = cell.source.split("### BEGIN SOLUTION", 1)[1].lstrip().splitlines()
            assert region and region[0].lstrip().startswith("# Why:"), (
                f"{cell.metadata.nbgrader['grade_id']}: start the solution with a `# Why:` comment"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_untouched_student_build_runs_to_the_end_and_scores_zero(path, tmp_path):
    instructor = grading.read(path)
    rows, executed = _grade(tmp_path, path, grading.student_version(instructor))
    assert rows and all(r["points"] == 0 and r["reason"] == grading.NOT_ATTEMPTED for r in rows), (
        rows
    )
    assert executed.cells[-1].get("execution_count"), "Run All did not reach the last cell"
    needs = sum(bool(NEEDS.match(c.source)) for c in executed.cells if c.cell_type == "code")
    skipped = 0
    for cell in executed.cells:
        if cell.cell_type != "code" or cell.get("id", "").startswith("grader-"):
            continue
        errors = _errors(cell)
        if grading.is_test(cell):
            assert [e["ename"] for e in errors] == ["ExerciseFailure"], cell.source[:200]
            assert "not attempted yet" in errors[0]["evalue"] and len(errors[0]["traceback"]) == 1
            continue
        assert not errors, (
            f"lecture cell failed in the untouched student build:\n{cell.source[:300]}\n{errors}"
        )
        skipped += bool(SKIPPED.search(_text(cell)))
    assert skipped == needs, f"{needs} %%needs cells but {skipped} said which exercise they need"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_solutions_pasted_back_run_the_lecture_and_score_full_marks(path, tmp_path):
    instructor = grading.read(path)
    answers = {
        c.metadata.nbgrader["grade_id"]: c.source
        for c in instructor.cells
        if grading.is_solution(c)
    }
    submission = grading.student_version(instructor)
    for cell in submission.cells:
        if grading.is_solution(cell):
            cell.source = answers[cell.metadata.nbgrader["grade_id"]]
    rows, executed = _grade(tmp_path, path, submission)
    assert rows and all(r["status"] == "passed" for r in rows), [
        r for r in rows if r["status"] != "passed"
    ]
    assert sum(r["points"] for r in rows) == sum(r["max_points"] for r in rows) > 0
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert cell.get("execution_count") and not _errors(cell), cell.source[:300]
            assert not SKIPPED.search(_text(cell)), f"skipped although solved:\n{cell.source[:300]}"


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    from utils.bundle import build_bundle

    return build_bundle(tmp_path_factory.mktemp("bundle") / "course")


def test_bundle_hides_every_solution_and_hidden_test(bundle):
    """Leak test over everything a student receives: notebooks, the wheel's files, requirements."""
    import zipfile

    texts = [p.read_text() for p in bundle.rglob("*") if p.suffix in (".ipynb", ".txt", ".md")]
    texts += [c.source for p in bundle.glob("notebooks/*.ipynb") for c in grading.read(p).cells]
    for wheel in bundle.glob("wheels/*.whl"):
        with zipfile.ZipFile(wheel) as z:
            texts += [
                z.read(n).decode("utf-8", "replace") for n in z.namelist() if not n.endswith(".pt")
            ]
    received = " ".join(" ".join(texts).split())
    assert sorted(p.name for p in bundle.glob("notebooks/*.ipynb")) == sorted(
        p.name for p in NOTEBOOKS
    )
    # Lines a solution shares with public text (any notebook outside its regions, utils' own code)
    # give nothing away: `with torch.no_grad():` is not a secret.
    strip = lambda text: re.sub(
        r"### BEGIN (SOLUTION|HIDDEN TESTS).*?### END \1", "", text, flags=re.S
    )
    sources = {path: [c.source for c in grading.read(path).cells] for path in NOTEBOOKS}
    public = [strip(src) for cells in sources.values() for src in cells]
    public += [f.read_text() for f in (Path(grading.__file__).parent).rglob("*.py")]
    public = " ".join(" ".join(public).split())
    leaked = []
    for path, cells in sources.items():
        for source in cells:
            for region in re.findall(
                r"### BEGIN (?:SOLUTION|HIDDEN TESTS)\n(.*?)### END", source, re.S
            ):
                for line in region.splitlines():
                    line = " ".join(line.split())
                    if len(line) >= 20 and not line.startswith("#") and line not in public:
                        leaked += [f"{path.stem}: {line}"] if line in received else []
    assert not leaked, f"solution or hidden-test lines in the bundle: {leaked[:5]}"


def test_bundle_installs_and_runs_a_notebook_outside_the_repository(bundle, tmp_path):
    """A fresh venv (the packages it would download come from this one, offline), the wheel
    installed by pip, a student notebook run by nbclient in a folder outside the repository."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())
    Path(site, "course_dependencies.pth").write_text(ours + "\n")  # a plain path: no editable repo
    wheel = next(bundle.glob("wheels/*.whl"))
    subprocess.run(
        [python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", wheel], check=True
    )
    work = tmp_path / "laptop"
    work.mkdir()
    notebook = work / "01_perceptron.ipynb"
    notebook.write_text((bundle / "notebooks" / notebook.name).read_text())
    where = "import os, utils\nprint(utils.__file__, sorted(os.listdir(utils.data_dir())))"
    script = f"""
import nbclient, nbformat
nb = nbformat.read({str(notebook)!r}, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell({where!r}))
resources = {{"metadata": {{"path": {str(work)!r}}}}}
nbclient.NotebookClient(nb, timeout=600, allow_errors=False, resources=resources).execute()
print(nb.cells[-1].outputs[0]["text"])
"""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    run = subprocess.run(
        [python, "-c", script], capture_output=True, text=True, cwd=work, env=env, timeout=900
    )
    assert run.returncode == 0, run.stderr[-3000:]
    where = run.stdout.strip().splitlines()[-1]
    assert where.startswith(site) and "storyteller.pt" in where, where
