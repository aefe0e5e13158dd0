"""utils.exercises: the %%needs magic that lets an untouched student notebook run to the end."""

import pytest
from IPython.core.interactiveshell import InteractiveShell

from utils import exercises, grading
from utils.bundle import student_requirements

STUB = "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"


def _ns(source):
    ns = {}
    exec(source, ns)
    return ns


def test_is_stub_tells_a_stub_from_a_solution():
    assert exercises.is_stub(_ns(STUB)["f"])
    assert not exercises.is_stub(_ns("def f(x):\n    return x + 1\n")["f"])
    cls = _ns("class A:\n    def forward(self):\n        raise NotImplementedError()\n")["A"]
    assert exercises.is_stub(cls) and not exercises.is_stub(3)


def test_missing_names_undefined_and_stubbed():
    ns = {**_ns(STUB), "g": len}
    assert exercises.missing(["f", "g", "h"], ns) == ["f", "h"]


def test_parse_rejects_a_line_without_an_exercise():
    assert exercises.parse('"Exercise 2" a b') == ("Exercise 2", ["a", "b"])
    with pytest.raises(ValueError, match="needs takes an exercise"):
        exercises.parse("mlp_forward")


@pytest.fixture
def shell():
    shell = InteractiveShell.instance()
    exercises.register(shell)
    yield shell
    InteractiveShell.clear_instance()


def test_needs_skips_with_a_message_then_runs_on_the_solution(shell, capsys):
    shell.run_cell(STUB)
    result = shell.run_cell('%%needs "Exercise 1" f\ny = f(1)')
    assert result.success and "y" not in shell.user_ns
    assert "needs `f` from Exercise 1" in capsys.readouterr().out
    shell.run_cell("def f(x):\n    return x + 1")
    assert shell.run_cell('%%needs "Exercise 1" f\ny = f(1)').success and shell.user_ns["y"] == 2


def test_needs_fails_the_cell_when_the_students_code_raises(shell):
    shell.run_cell("def f(x):\n    return 1 / 0")
    result = shell.run_cell('%%needs "Exercise 1" f\nf(1)')
    assert not result.success and isinstance(result.error_in_exec, exercises.CellFailed)


def test_solution_cell_turns_the_why_comment_into_prose():
    source = "def f(x):\n    ### BEGIN SOLUTION\n    # Why: adding one\n    # is the task.\n" \
             "    return x + 1\n    ### END SOLUTION\n"
    cell = grading.solution_cell("ex1", source)
    assert "<summary>Solution</summary>" in cell.source and "Adding one is the task." in cell.source
    assert "    return x + 1" in cell.source
    assert "BEGIN" not in cell.source and "# Why" not in cell.source
    assert cell.metadata.slideshow.slide_type == "skip" and cell.id == "solution-ex1"


def test_student_requirements_drop_the_repository_and_test_tools(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("-e .\n# a note\ntorch==2.13.0  # cpu\npytest==8.4\nnbval==0.11\nnumpy==2.4.6\n")
    assert student_requirements(req) == ["torch==2.13.0", "numpy==2.4.6"]
