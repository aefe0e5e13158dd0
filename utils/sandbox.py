"""Run an untrusted notebook: its own process and namespaces, a fresh kernel as a throwaway user,
limits.

The grader calls `run_notebook`. It starts this module's `worker` (see `WORKER`) under
`unshare --mount --pid --net` and sends the notebook on stdin; the worker answers on its stdout, a
channel the kernel never holds. Inside, the worker (root in its own namespaces):

- gives the kernel a private, empty /tmp, /var/tmp, /dev/shm and /run/lock (gone when it ends);
- makes the course, the virtual environment and the Python installation read-only (bind mounts) and
  hides the instructor's files, the other submissions and the grader's outputs under empty mounts;
- starts the kernel as a fresh unprivileged user id (no capabilities, no new privileges, no network
  but loopback, a memory and a process limit), so it can write only its own private folders and can
  neither signal nor read the worker;
- runs every cell with a time limit, caps each cell's output, collects the guard's signed evidence
  (`utils.guard`) and each cell's execute reply, and writes the result to the grader.

Where the OS cannot give this (not root, no `unshare`), `isolation_problem()` says why; the grader
then refuses unless told `--unsafe`. Whatever the notebook does, the caller gets a result, never an
exception.
"""

import asyncio
import ctypes
import functools
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from .guard import KEY_ENV, LOG_ENV, read_evidence

OUTPUT_CAP = 200_000  # bytes of output kept per cell; the rest is dropped with a notice
CELL_TIMEOUT, MEMORY_GB = 120, 4  # the grader's default limits (the CLI and the README quote these)
INTERRUPT_GRACE = 20  # seconds a timed-out cell has to stop after its interrupt
MAX_PROCESSES = 256  # per kernel user: background processes and fork bombs stop here
PRIVATE_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38
# The worker imports this module without running utils/__init__.py, which loads torch and
# matplotlib: the worker needs neither, and every graded notebook would pay for them twice.
WORKER = (
    "import sys, types; package = types.ModuleType('utils'); "
    f"package.__path__ = [{str(Path(__file__).resolve().parent)!r}]; "
    "sys.modules['utils'] = package; import utils.sandbox; utils.sandbox.worker()"
)
UNSHARE = (
    "unshare",
    "--mount",
    "--pid",
    "--net",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "--propagation",
    "private",
)


@functools.cache
def isolation_problem() -> str:
    """Why this machine cannot isolate a kernel ("" when it can): root and `unshare` are needed."""
    if os.geteuid() != 0:
        return "the grader is not root, so it cannot switch the kernel to a throwaway user or mount"
    try:
        probe = subprocess.run(
            UNSHARE + ("mount", "-t", "tmpfs", "tmpfs", "/mnt"),
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"`unshare` is not usable: {err}"
    if probe.returncode:
        return f"`unshare` failed: {(probe.stderr.strip().splitlines() or ['?'])[-1]}"
    return ""


class CappedClient(NotebookClient):
    """nbclient that keeps at most OUTPUT_CAP bytes of output per cell (output bombs stay small) and
    kills a kernel that still has not finished a cell INTERRUPT_GRACE s after its timeout
    interrupt (a kernel that ignores interrupts would otherwise hold the batch until the
    notebook's time limit)."""

    running_index = finished_index = None

    async def _async_handle_timeout(self, timeout, cell=None):
        result = await super()._async_handle_timeout(timeout, cell)
        index = self.running_index

        async def reap():
            await asyncio.sleep(INTERRUPT_GRACE)
            pid = getattr(getattr(self.km, "provisioner", None), "pid", None)
            if self.running_index == index and self.finished_index != index and pid:
                os.kill(pid, signal.SIGKILL)  # nbclient then reports a dead kernel

        self._reaper = asyncio.ensure_future(reap())
        return result

    def output(self, outs, msg, display_id, cell_index):
        size = getattr(self, "_sizes", {}).get(cell_index, 0)
        if size > OUTPUT_CAP:
            return None
        out = super().output(outs, msg, display_id, cell_index)
        if out is not None:
            self._sizes = getattr(self, "_sizes", {})
            self._sizes[cell_index] = size + len(json.dumps(out))
            if self._sizes[cell_index] > OUTPUT_CAP:
                outs[-1] = nbformat.v4.new_output(
                    "stream",
                    name="stdout",
                    text=f"[output truncated by the grader after {OUTPUT_CAP:,} bytes]\n",
                )
        return out


def _mount(*args) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def _private_dir(top: str, keep: list[str], mode: str) -> None:
    """Mount an empty tmpfs over `top`, carrying over the paths in `keep` that lie under it."""
    kept = [p for p in keep if _under(p, top) and p != top]
    staged = []
    for i, path in enumerate(kept):
        stage = f"/mnt/keep{i}"
        os.makedirs(stage, exist_ok=True)
        _mount("--rbind", path, stage)
        staged.append((stage, path))
    _mount("-t", "tmpfs", "-o", f"mode={mode},nosuid,nodev", "tmpfs", top)
    for stage, path in staged:
        os.makedirs(path, exist_ok=True)
        _mount("--rbind", stage, path)


def _isolate(hide, keep) -> list[str]:
    """The worker's private view of the file system (module docstring); returns hidden paths."""
    _mount("--make-rprivate", "/")
    _mount("-t", "tmpfs", "-o", "mode=700", "tmpfs", "/mnt")  # staging area for carried paths
    # Python must be reachable by the kernel's user: ancestors closed to others (/root) get a stand-
    # in.
    for path in keep:
        for parent in reversed(Path(path).parents):
            if str(parent) != "/" and not os.stat(parent).st_mode & 0o001:
                _private_dir(str(parent), keep, "755")
    for top in PRIVATE_DIRS:
        if os.path.isdir(top):
            _private_dir(top, keep, "1777")
    for path in keep:  # read-only for everyone
        _mount("--bind", path, path)
        _mount("-o", "remount,bind,ro", path)
    hidden = []
    for p in map(Path, hide):
        if p.is_dir():
            ok = _mount("-t", "tmpfs", "-o", "size=16k,mode=000", "tmpfs", str(p))
        elif p.is_file():
            ok = _mount("--bind", "/dev/null", str(p))
        else:
            ok = True  # absent here: nothing to see
        if ok:
            hidden.append(str(p))
    subprocess.run(
        ["ip", "link", "set", "lo", "up"], capture_output=True
    )  # the kernel's ZMQ sockets
    return hidden


def _kernel_preexec(memory_bytes, uid, connection_file):
    """Runs in the kernel's process before exec: limits, then the throwaway user, for good."""

    def preexec():
        if memory_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
        if uid is not None:
            os.chown(connection_file(), uid, uid)
            resource.setrlimit(resource.RLIMIT_NPROC, (MAX_PROCESSES, MAX_PROCESSES))
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)  # from root to a fresh user: every capability is gone
            ctypes.CDLL(None).prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)

    return preexec


def _execute(nb, cell_timeout, memory_bytes, uid, threads) -> dict:
    """Run `nb` in place in a fresh kernel; return the note, per-cell replies and guard evidence."""
    workdir = tempfile.mkdtemp(prefix="grade-")
    key, key_file, log_file = (
        secrets.token_bytes(32),
        Path(workdir) / "guard.key",
        Path(workdir) / "guard.log",
    )
    key_file.write_bytes(key)
    log_file.write_bytes(b"")
    os.environ["JUPYTER_RUNTIME_DIR"] = str(Path(workdir) / "runtime")
    if uid is not None:
        for path in (workdir, key_file, log_file):
            os.chown(path, uid, uid)
    os.chmod(workdir, 0o700)
    threads = str(threads)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": workdir,
        "MPLCONFIGDIR": workdir,
        "IPYTHONDIR": str(Path(workdir) / ".ipython"),
        "TMPDIR": workdir,
        "OMP_NUM_THREADS": threads,
        "MKL_NUM_THREADS": threads,
        "OPENBLAS_NUM_THREADS": threads,
        KEY_ENV: str(key_file),
        LOG_ENV: str(log_file),
        **{
            k: v
            for k, v in os.environ.items()
            if k in ("TINYSTORIES_PATH", "COURSE_DATA_DIR", "LANG")
        },
    }
    client = CappedClient(
        nb,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        resources={"metadata": {"path": workdir}},
    )
    log = open(log_file, "rb")  # our own handle: the kernel may unlink or rename the file
    replies, evidence, running = {}, {}, [None]

    def started(cell, cell_index):
        running[0] = client.running_index = cell_index

    def finished(cell, cell_index, execute_reply):
        client.finished_index = cell_index
        replies[cell.get("id", str(cell_index))] = (
            (execute_reply or {}).get("content", {}).get("status", "none")
        )
        for cell_id, verdict in read_evidence(key, log.read().decode("utf-8", "replace")):
            evidence.setdefault(cell.get("id", str(cell_index)), []).append((cell_id, verdict))

    client.on_cell_execute, client.on_cell_executed = started, finished
    note = ""
    try:
        client.execute(
            preexec_fn=_kernel_preexec(memory_bytes, uid, lambda: client.km.connection_file),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except Exception as err:  # a dead kernel or a hung cell: score what ran
        text = str(err).strip().splitlines()
        note = f"run stopped: {type(err).__name__}{': ' + text[0] if text else ''}"
        if running[0] is not None:  # the cell that was running gets the error, never a pass
            nb.cells[running[0]].outputs.append(
                nbformat.v4.new_output(
                    "error",
                    ename=type(err).__name__,
                    evalue=f"the kernel died or hung while running this cell "
                    f"(sys.exit, os._exit or a crash?): {text[0] if text else ''}",
                    traceback=[],
                )
            )
    return {"note": note, "replies": replies, "evidence": evidence}


def worker() -> None:
    """Entry point in the namespaces: the job on stdin, the result on the stdout we started with."""
    result = os.fdopen(os.dup(1), "w")  # a private copy, not inherited by the kernel
    os.dup2(2, 1)  # anything else printed goes to the grader's log
    job = json.load(sys.stdin)
    sys.stdin.close()
    isolated = bool(job["isolate"])
    hidden = _isolate(job["hide"], job["keep"]) if isolated else []
    uid = 100_000 + secrets.randbelow(1_000_000) if isolated else None
    if os.geteuid() == 0:
        ctypes.CDLL(None).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # the kernel may not read our memory
    nb = nbformat.from_dict(job["nb"])
    run = _execute(nb, job["cell_timeout"], job["memory_bytes"], uid, job.get("threads", 1))
    json.dump({"nb": nb, "hidden": hidden, **run}, result)
    result.close()


def run_notebook(
    nb,
    cell_timeout: float = CELL_TIMEOUT,
    memory_gb: float | None = MEMORY_GB,
    hide=(),
    total_timeout=None,
    isolate=None,
    threads: int = 1,
):
    """Execute `nb` in the sandbox; return (executed notebook, run) where run holds the note,
    per-cell execute-reply statuses ("replies"), guard evidence ("evidence") and the hidden paths.

    `isolate` defaults to whether this machine can isolate (see `isolation_problem`)."""
    isolate = not isolation_problem() if isolate is None else isolate
    total_timeout = total_timeout or cell_timeout * (len(nb.cells) + 2) + 60
    from .paths import REPO_ROOT

    keep = sorted({str(Path(p).resolve()) for p in (REPO_ROOT, sys.prefix, sys.base_prefix)})
    job = {
        "nb": nb,
        "cell_timeout": cell_timeout,
        "hide": [str(p) for p in hide],
        "keep": keep,
        "memory_bytes": int(memory_gb * 2**30) if memory_gb else None,
        "isolate": isolate,
        "threads": threads,
    }
    cmd = (list(UNSHARE) + ["--"] if isolate else []) + [sys.executable, "-c", WORKER]
    empty = {"note": "", "replies": {}, "evidence": {}, "hidden": []}
    try:
        proc = subprocess.run(
            cmd,
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=total_timeout,
            cwd="/",
        )
        out = json.loads(proc.stdout)
        return nbformat.from_dict(out.pop("nb")), out
    except subprocess.TimeoutExpired:
        failure = f"the notebook exceeded the total time limit of {total_timeout:.0f} s"
    except (json.JSONDecodeError, KeyError):
        failure = (proc.stderr.strip().splitlines() or ["no result"])[-1]
    return nb, {**empty, "note": "grader worker failed: " + failure}


if __name__ == "__main__":
    worker()
