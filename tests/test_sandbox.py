"""utils/sandbox.py on tiny notebooks: limits, a dying kernel, and what the kernel can reach."""

import os
import sys

import nbformat
import pytest

from utils import sandbox
from utils.paths import REPO_ROOT

pytestmark = pytest.mark.xdist_group("sandbox")
isolated = pytest.mark.skipif(
    bool(sandbox.isolation_problem()), reason="needs root and unshare (as in CI)"
)


def _nb(*sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    return nb


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


def _text(cell):  # a busy kernel may split one print over several stream messages
    return "".join(o.get("text", "") for o in cell.outputs)


def test_cells_run_in_order_and_errors_do_not_stop_the_run():
    nb, run = sandbox.run_notebook(_nb("x = 1", "1 / 0", "print(x + 1)"), cell_timeout=30)
    assert run["note"] == ""
    assert _errors(nb.cells[1])[0].ename == "ZeroDivisionError"
    assert _text(nb.cells[2]) == "2\n"
    assert [run["replies"][c.id] for c in nb.cells] == ["ok", "error", "ok"]


def test_a_hung_cell_is_interrupted_and_the_next_cell_runs():
    nb, _ = sandbox.run_notebook(
        _nb("import time\ntime.sleep(600)", "print('after')"), cell_timeout=3
    )
    assert _errors(nb.cells[0])[0].ename == "KeyboardInterrupt"
    assert _text(nb.cells[1]) == "after\n"


def test_a_kernel_that_ignores_the_interrupt_is_killed_and_the_rest_is_not_run():
    hang = (
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "while True:\n    time.sleep(1)"
    )
    nb, run = sandbox.run_notebook(_nb("print(0)", hang, "print(1)"), cell_timeout=3)
    assert "DeadKernelError" in run["note"] and "died or hung" in _errors(nb.cells[1])[0].evalue
    assert _text(nb.cells[0]) == "0\n" and nb.cells[2].outputs == []


def test_memory_limit_turns_a_huge_allocation_into_memory_error():
    nb, _ = sandbox.run_notebook(_nb("hog = bytearray(3 * 2**30)"), cell_timeout=30, memory_gb=1)
    assert _errors(nb.cells[0])[0].ename == "MemoryError"


def test_output_is_capped_per_cell():
    nb, _ = sandbox.run_notebook(
        _nb("for _ in range(50):\n    print('x' * 100_000)"), cell_timeout=30
    )
    text = _text(nb.cells[0])
    assert len(text) < 2 * sandbox.OUTPUT_CAP and "truncated by the grader" in text


def test_a_dead_kernel_marks_the_running_cell_and_leaves_the_rest_unrun():
    nb, run = sandbox.run_notebook(
        _nb("print('ok')", "import os\nos._exit(0)", "print('never')"), cell_timeout=30
    )
    assert "DeadKernelError" in run["note"]
    assert "died" in _errors(nb.cells[1])[0].evalue
    assert nb.cells[2].outputs == []


def test_writing_to_the_kernels_own_stdout_and_stderr_cannot_reach_the_result():
    forged = '{"nb": {"cells": []}, "note": "forged"}'
    nb, run = sandbox.run_notebook(
        _nb(f"import os\nos.write(1, b'{forged}')\nos.write(2, b'junk')\nprint('real')"),
        cell_timeout=30,
    )
    assert run["note"] == "" and len(nb.cells) == 1 and "real" in _text(nb.cells[0])


@isolated
def test_hidden_paths_cannot_be_read_or_unmounted(tmp_path):
    secret = tmp_path / "instructor"
    secret.mkdir()
    (secret / "answers.txt").write_text("42")
    code = f"""
import subprocess
try:
    print(open({str(secret / 'answers.txt')!r}).read())
except OSError as e:
    print('blocked', type(e).__name__)
print('umount', subprocess.run(['umount', {str(secret)!r}], capture_output=True).returncode)
"""
    nb, run = sandbox.run_notebook(_nb(code), cell_timeout=30, hide=[secret])
    text = _text(nb.cells[0])
    assert run["hidden"] == [str(secret)]
    assert "blocked" in text and "42" not in text and "umount 0" not in text
    assert (secret / "answers.txt").read_text() == "42"  # hidden only inside the sandbox


@isolated
def test_the_kernel_is_a_throwaway_user_that_can_write_only_its_private_folders(tmp_path):
    probe = tmp_path / "probe.txt"
    targets = [
        REPO_ROOT / "utils" / "checks.py",
        REPO_ROOT / "utils" / "planted.py",
        os.path.join(sys.prefix, "planted.pth"),
        "/var/tmp/planted",
        "/dev/shm/planted",
        "/run/lock/planted",
        str(probe),
    ]
    code = f"""
import os, socket
print('uid', os.getuid())
for path in {[str(t) for t in targets]!r}:
    try:
        with open(path, 'a') as f:
            f.write('planted')
        print('WROTE', path)
    except OSError as e:
        print('refused', path, type(e).__name__)
try:
    socket.create_connection(('1.1.1.1', 80), timeout=2)
    print('NETWORK')
except OSError:
    print('no network')
open('/tmp/left-behind', 'w').write('x')
print('pid', os.getpid(), os.listdir('/proc')[:0])
"""
    before = (REPO_ROOT / "utils" / "checks.py").read_bytes()
    nb, _ = sandbox.run_notebook(_nb(code), cell_timeout=30)
    text = _text(nb.cells[0])
    uid = int(text.split("uid ")[1].split()[0])
    assert uid >= 100_000 and uid != os.getuid()
    for path in targets[:3] + [str(probe)]:  # course, venv, the grader's files: refused
        assert f"refused {path}" in text, text
    assert "NETWORK" not in text and "no network" in text
    assert (REPO_ROOT / "utils" / "checks.py").read_bytes() == before
    assert not (REPO_ROOT / "utils" / "planted.py").exists() and not probe.exists()
    for leftover in (
        "/tmp/left-behind",
        "/var/tmp/planted",
        "/dev/shm/planted",
        "/run/lock/planted",
    ):
        assert not os.path.exists(leftover), f"{leftover} outlived the submission"
