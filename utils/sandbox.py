"""Run an untrusted notebook: its own process, a fresh kernel, limits on time, memory and output, and
(where the OS allows) a private view of the file system in which the instructor's files are hidden.

The grader calls `run_notebook`; it starts `python -m utils.sandbox` (the worker) inside
`unshare --mount --pid` when that works, passing the notebook on stdin. The worker hides the given
paths under empty tmpfs mounts, makes itself non-dumpable, starts the kernel with the dangerous
capabilities dropped (no mount/umount, no ptrace, so the kernel can neither unhide a path nor read the
worker's memory) and a memory limit, executes every cell with a time limit, caps each cell's output,
and writes the executed notebook back. Whatever the notebook does, the caller gets a notebook and a
note back, never an exception.
"""
import ctypes
import functools
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

OUTPUT_CAP = 200_000          # bytes of output kept per cell; the rest is dropped with a notice
PR_SET_DUMPABLE, PR_CAPBSET_DROP = 4, 24
# CAP_DAC_READ_SEARCH, CAP_SYS_MODULE, CAP_SYS_RAWIO, CAP_SYS_PTRACE, CAP_SYS_ADMIN, CAP_MKNOD, CAP_SYSLOG
DROPPED_CAPS = [2, 16, 17, 19, 21, 27, 34]


@functools.cache
def isolation_prefix() -> tuple[str, ...]:
    """The `unshare` command that gives the worker a private mount and PID namespace, or () if none works."""
    base = ("unshare", "--mount", "--pid", "--fork", "--kill-child", "--mount-proc", "--propagation", "private")
    for prefix in (base, base[:1] + ("--user", "--map-root-user") + base[1:]):
        try:
            probe = subprocess.run(prefix + ("mount", "-t", "tmpfs", "tmpfs", "/mnt"), capture_output=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix + ("--",)
    return ()


class CappedClient(NotebookClient):
    """nbclient that keeps at most OUTPUT_CAP bytes of output per cell (output bombs stay small)."""

    def output(self, outs, msg, display_id, cell_index):
        size = getattr(self, "_sizes", {}).get(cell_index, 0)
        if size > OUTPUT_CAP:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None:
            self._sizes = getattr(self, "_sizes", {})
            self._sizes[cell_index] = size + len(json.dumps(out))
            if self._sizes[cell_index] > OUTPUT_CAP:
                outs[-1] = nbformat.v4.new_output("stream", name="stdout",
                                                  text=f"[output truncated by the grader after {OUTPUT_CAP:,} bytes]\n")
        return out


def _kernel_preexec(memory_bytes: int | None):
    def preexec():
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        if os.geteuid() == 0:
            libc = ctypes.CDLL(None, use_errno=True)
            for cap in DROPPED_CAPS:
                libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    return preexec


def _hide(paths) -> list[str]:
    """Mount an empty, unreadable tmpfs over each existing folder (or /dev/null over a file)."""
    hidden = []
    for p in map(Path, paths):
        if p.is_dir():
            cmd = ["mount", "-t", "tmpfs", "-o", "size=16k,mode=000", "tmpfs", str(p)]
        elif p.is_file():
            cmd = ["mount", "--bind", "/dev/null", str(p)]
        else:
            continue
        if subprocess.run(cmd, capture_output=True).returncode == 0:
            hidden.append(str(p))
    return hidden


def _execute(nb, cell_timeout: float, memory_bytes: int | None) -> str:
    """Run `nb` in place in a fresh kernel in an empty folder; return a note if the run stopped early."""
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        client = CappedClient(nb, timeout=cell_timeout, kernel_name="python3", allow_errors=True,
                              interrupt_on_timeout=True, resources={"metadata": {"path": workdir}})
        env = {**os.environ, "HOME": workdir, "MPLCONFIGDIR": workdir}
        running = [None]
        client.on_cell_execute = lambda cell, cell_index: running.__setitem__(0, cell_index)
        try:
            client.execute(preexec_fn=_kernel_preexec(memory_bytes), env=env)
        except Exception as err:  # a dead kernel or a hung cell: score what ran
            text = str(err).strip().splitlines()
            note = f"run stopped: {type(err).__name__}{': ' + text[0] if text else ''}"
            if running[0] is not None:   # the cell that was running gets the error, never a pass
                nb.cells[running[0]].outputs.append(nbformat.v4.new_output(
                    "error", ename=type(err).__name__, evalue=f"the kernel died or hung while running this cell "
                    f"(sys.exit, os._exit or a crash?): {text[0] if text else ''}", traceback=[]))
            return note
    return ""


def worker(result_path: str) -> None:
    """Entry point inside the sandbox: notebook and limits on stdin, executed notebook to `result_path`."""
    job = json.load(sys.stdin)
    sys.stdin.close()
    hidden = _hide(job["hide"]) if job["hide"] else []
    if os.geteuid() == 0 or hidden:
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)   # the kernel may not read our memory
    nb = nbformat.from_dict(job["nb"])
    note = _execute(nb, job["cell_timeout"], job["memory_bytes"])
    tmp = result_path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"nb": nb, "note": note, "hidden": hidden}, f)
    os.replace(tmp, result_path)


def run_notebook(nb, cell_timeout: float = 120, memory_gb: float | None = 4, hide=(), total_timeout=None):
    """Execute `nb` (a NotebookNode) in the sandbox; return (executed notebook, note, hidden paths)."""
    total_timeout = total_timeout or cell_timeout * (len(nb.cells) + 2) + 60
    job = {"nb": nb, "cell_timeout": cell_timeout, "hide": [str(p) for p in hide],
           "memory_bytes": int(memory_gb * 2**30) if memory_gb else None}
    with tempfile.TemporaryDirectory(prefix="sandbox-") as tmp:
        result = Path(tmp) / "result.json"
        cmd = list(isolation_prefix()) + [sys.executable, "-m", "utils.sandbox", str(result)]
        try:
            proc = subprocess.run(cmd, input=json.dumps(job), capture_output=True, text=True, timeout=total_timeout)
            failure = proc.stderr.strip().splitlines()[-1:] if proc.returncode else []
        except subprocess.TimeoutExpired:
            failure = [f"the notebook exceeded the total time limit of {total_timeout:.0f} s"]
        if result.exists():
            out = json.loads(result.read_text())
            return nbformat.from_dict(out["nb"]), out["note"], out["hidden"]
    return nb, "grader worker failed: " + (failure[0] if failure else "no result"), []


if __name__ == "__main__":
    worker(sys.argv[1])
