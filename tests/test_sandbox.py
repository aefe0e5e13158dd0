"""utils/sandbox.py on tiny notebooks: time, memory and output limits, hidden paths, a dying kernel."""
import nbformat
import pytest

from utils import sandbox

pytestmark = pytest.mark.xdist_group("sandbox")


def _nb(*sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


def test_cells_run_in_order_and_errors_do_not_stop_the_run():
    nb, note, _ = sandbox.run_notebook(_nb("x = 1", "1 / 0", "print(x + 1)"), cell_timeout=30)
    assert note == ""
    assert _errors(nb.cells[1])[0].ename == "ZeroDivisionError"
    assert nb.cells[2].outputs[0].text == "2\n"


def test_a_hung_cell_is_interrupted_and_the_next_cell_runs():
    nb, _, _ = sandbox.run_notebook(_nb("import time\ntime.sleep(600)", "print('after')"), cell_timeout=3)
    assert _errors(nb.cells[0])[0].ename == "KeyboardInterrupt"
    assert nb.cells[1].outputs[0].text == "after\n"


def test_memory_limit_turns_a_huge_allocation_into_memory_error():
    nb, _, _ = sandbox.run_notebook(_nb("hog = bytearray(3 * 2**30)"), cell_timeout=30, memory_gb=1)
    assert _errors(nb.cells[0])[0].ename == "MemoryError"


def test_output_is_capped_per_cell():
    nb, _, _ = sandbox.run_notebook(_nb("for _ in range(50):\n    print('x' * 100_000)"), cell_timeout=30)
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert len(text) < 2 * sandbox.OUTPUT_CAP and "truncated by the grader" in text


def test_a_dead_kernel_marks_the_running_cell_and_leaves_the_rest_unrun():
    nb, note, _ = sandbox.run_notebook(_nb("print('ok')", "import os\nos._exit(0)", "print('never')"), cell_timeout=30)
    assert "DeadKernelError" in note
    assert "died" in _errors(nb.cells[1])[0].evalue
    assert nb.cells[2].outputs == []


@pytest.mark.skipif(not sandbox.isolation_prefix(), reason="no mount namespaces on this machine (needs root or user namespaces)")
def test_hidden_paths_cannot_be_read_or_unmounted(tmp_path):
    secret = tmp_path / "instructor"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    code = f"""
import os, subprocess
try:
    print(open({str(secret / 'answers.txt')!r}).read())
except OSError as e:
    print('blocked', type(e).__name__)
print('umount', subprocess.run(['umount', {str(secret)!r}], capture_output=True).returncode)
"""
    nb, _, hidden = sandbox.run_notebook(_nb(code), cell_timeout=30, hide=[secret])
    text = nb.cells[0].outputs[0].text
    assert hidden == [str(secret)]
    assert "blocked" in text and "42" not in text and "umount 0" not in text
    assert (secret / "answers.txt").read_text() == "42"   # hidden only inside the sandbox
