"""Lecture cells that need an exercise: they run on the student's code, or say what they need.

A lecture cell that calls a function the student writes in an exercise starts with the cell magic

    %%needs "Exercise 2" mlp_forward

When every named object is defined and no longer the stub of the student build, the cell runs as
written, on the student's own code. Otherwise it prints one line naming the exercise and is skipped,
so *Run All* on an untouched student notebook reaches the last cell without a cascade of errors.
`import utils` registers the magic in IPython.
"""

import shlex
import types


class CellFailed(Exception):
    """The body of a %%needs cell raised; IPython has already shown that error."""

    def _render_traceback_(self):
        return ["(the error above stopped this cell)"]


def is_stub(obj) -> bool:
    """True for a function (or a class with a method) that still raises NotImplementedError."""
    if isinstance(obj, type):
        return any(is_stub(v) for v in vars(obj).values() if isinstance(v, types.FunctionType))
    code = getattr(obj, "__code__", None)
    return code is not None and "NotImplementedError" in code.co_names


def missing(names, namespace) -> list[str]:
    """The names that are undefined in `namespace` or still the student build's stub."""
    return [n for n in names if n not in namespace or is_stub(namespace[n])]


def parse(line: str) -> tuple[str, list[str]]:
    """'"Exercise 2" mlp_forward relu_net' -> ("Exercise 2", ["mlp_forward", "relu_net"])."""
    words = shlex.split(line)
    if len(words) < 2 or not words[0].startswith("Exercise "):
        raise ValueError(
            '%%needs takes an exercise and the names it defines: %%needs "Exercise 2" mlp_forward'
        )
    return words[0], words[1:]


def needs(line, cell):
    """The %%needs cell magic (see the module docstring)."""
    from IPython import get_ipython

    shell = get_ipython()
    exercise, names = parse(line)
    todo = missing(names, shell.user_ns)
    if todo:
        what = ", ".join(f"`{n}`" for n in todo)
        print(
            f"⏭ Skipped: this cell needs {what} from {exercise}, which is not done yet. "
            f"Solve {exercise}, run its cell, then run this cell again."
        )
        return
    result = shell.run_cell(cell, store_history=False)
    if not result.success:
        raise CellFailed()


def register(shell=None) -> None:
    """Make %%needs available in the running IPython (a no-op outside IPython)."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return
        shell = get_ipython()
    if shell is not None:
        shell.register_magic_function(needs, magic_kind="cell", magic_name="needs")
