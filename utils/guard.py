"""The grader's in-kernel guard: test cells are checked against a pristine checker, with evidence.

The grader inserts one setup cell before any student code runs (`GUARD_SETUP`), a marker line at the
top of every test cell (`marker(grade_id)`) and a last cell (`marker(FINAL)`). `install()` then:

- records the checking machinery: `utils.check` and every function of `utils.checks` (and their code
  objects), numpy's and torch's comparisons, all builtins, the modules in `sys.modules` and their
  aliases in the notebook, and IPython's execution path (run_cell and friends, input and AST
  transformers, custom exception handlers, event callbacks, `sys.excepthook`);
- registers a Python audit hook. Audit hooks cannot be removed, and this one holds its state in a
  closure that no name in the notebook reaches. When IPython compiles a cell that starts with a
  marker, the hook compares everything recorded with what is there now; any difference (now or ever
  before: the verdict is sticky) is written as `tampered: ...`, and the grader scores the notebook
  0. The hook also refuses the introspection that would reach its state or step around a test: `gc`
  traversal, `sys.settrace`/`setprofile`, and assigning a function's `__code__`;
- writes one line of evidence per verification, signed with HMAC-SHA256 under a key that only it
  holds (read from a file the worker wrote, then deleted), to a log the worker reads. A test cell
  counts only with a valid "ok" line written while it ran, so skipping, faking or replaying the
  check scores 0.

What an in-process guard cannot stop is listed in the README ("What grading guarantees").
"""

import _hashlib
import builtins
import hmac
import os
import sys
import types

FINAL = "__final__"
KEY_ENV, LOG_ENV = "COURSE_GUARD_KEY", "COURSE_GUARD_LOG"
BLOCKED_EVENTS = {
    "gc.get_referrers",
    "gc.get_referents",
    "gc.get_objects",
    "sys.settrace",
    "sys.setprofile",
    "sys._current_frames",
}
FRAME_ATTRS = ("tb_", "f_b", "f_l", "f_g", "gi_", "cr_", "ag_")
SHELL_METHODS = (
    "run_cell",
    "run_cell_async",
    "run_ast_nodes",
    "run_code",
    "transform_cell",
    "transform_ast",
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "should_run_async",
    "ex",
    "ev",
)
KERNEL_METHODS = ("do_execute", "execute_request", "send_response")

GUARD_SETUP = "import utils.guard\nutils.guard.install()  # inserted by the grader\n"
IGNORED_BUILTINS = {
    "_",
    "__",
    "___",
    "get_ipython",
    "exit",
    "quit",
    "display",
    "__IPYTHON__",
    "input",
    "raw_input",
}


def marker(grade_id: str) -> str:
    """The first line of a graded test cell: the hook verifies when IPython compiles it."""
    return f"# grader: verify {grade_id}\n"


def sign(key: bytes, seq: int, cell: str, verdict: str, digest=_hashlib.hmac_digest) -> str:
    body = f"{seq} {cell} {verdict}"
    return body + " " + digest(key, body.encode(), "sha256").hex()


def read_evidence(key: bytes, text: str) -> list[tuple[str, str]]:
    """(cell, verdict) of every correctly signed line, in order; forged or garbled lines dropped."""
    found = []
    for line in text.splitlines():
        body, _, mac = line.rpartition(" ")
        parts = body.split(" ", 2)
        if len(parts) == 3 and hmac.compare_digest(mac, sign(key, *parts)[-64:]):
            found.append((parts[1], parts[2]))
    return found


def _static(obj, name):
    """What `obj.name` resolves to (instance or class attribute), without running notebook code."""
    inst = vars(obj)
    if type(inst) is not dict or type(type(obj).__mro__) is not tuple:
        return (object(),)  # never equal to the record: reported as tampered
    if name in inst:
        return ("instance", inst[name])
    for klass in type(obj).__mro__:
        if name in klass.__dict__:
            return (klass, klass.__dict__[name])
    return (None,)


def _parts(f):
    """The parts of a function a patch could swap while the function object stays in place."""
    if type(f) is not types.FunctionType:
        return (f,)
    cells = tuple(c.cell_contents for c in f.__closure__ or ())
    return (f.__code__, f.__defaults__, f.__kwdefaults__, f.__globals__) + cells


def _snapshot():
    """What the tests rely on, as label -> getter of a tuple compared by identity."""
    import numpy
    import torch
    from IPython import get_ipython

    import matplotlib.pyplot as plt
    import utils
    import utils.checks as checks

    plt.close(plt.figure())  # loads the inline backend, which registers its event callbacks now
    shell = get_ipython()
    items = {}
    attrs = [
        (utils, "check"),
        (numpy, "allclose"),
        (numpy, "isclose"),
        (numpy, "array_equal"),
        (numpy, "asarray"),
        (numpy.testing, "assert_allclose"),
        (torch, "allclose"),
        (torch, "equal"),
        (torch.testing, "assert_close"),
    ]
    attrs += [(checks, n) for n in vars(checks) if not n.startswith("__")]
    attrs += [(builtins, n) for n in vars(builtins) if n not in IGNORED_BUILTINS]
    for obj, name in attrs:
        value = vars(obj).get(name)
        items[f"{obj.__name__}.{name}"] = lambda o=obj, n=name: (vars(o).get(n),)
        if type(value) is types.FunctionType:
            items[f"{obj.__name__}.{name} (code, defaults)"] = lambda o=obj, n=name: _parts(
                vars(o).get(n)
            )
    items["sys.modules"] = lambda: (vars(sys).get("modules"),)
    for name in ("utils", "utils.checks", "utils.guard", "numpy", "torch", "builtins", "IPython"):
        items[f"sys.modules[{name!r}]"] = lambda n=name: (sys.modules.get(n),)
    if shell is None:
        return items
    kernel = getattr(shell, "kernel", None)
    items["type(shell)"] = lambda: (type(shell),)
    for name in SHELL_METHODS:
        items[f"shell.{name}"] = lambda n=name: _static(shell, n)
    for name in (
        "custom_exceptions",
        "CustomTB",
        "compile",
        "displayhook",
        "display_pub",
        "input_transformer_manager",
        "input_transformers_post",
        "input_transformers_cleanup",
        "ast_transformers",
    ):
        items[f"shell.{name}"] = lambda n=name: _value(shell, n)
    items["shell.events"] = lambda: _callbacks(shell)
    if kernel is not None:
        items["type(kernel)"] = lambda: (type(kernel),)
        for name in KERNEL_METHODS:
            items[f"kernel.{name}"] = lambda n=name: _static(kernel, n)
    ns = shell.user_ns
    for alias, module in (("utils", utils), ("np", numpy), ("torch", torch)):
        items[f"the notebook's {alias}"] = lambda a=alias, m=module: (ns.get(a, m) is m,)
    return items


def _callbacks(shell):
    """IPython's event callbacks, read through exact dicts and lists (no notebook code runs)."""
    events = _attr(shell, "events")
    callbacks = _attr(events, "callbacks") if events is not None else None
    if type(callbacks) is not dict or any(type(v) is not list for v in callbacks.values()):
        return (object(),)
    return (events, callbacks) + tuple(f for k in sorted(callbacks) for f in callbacks[k])


def _attr(obj, name):
    """An instance attribute or traitlets trait value, read from the instance's own dicts."""
    inst = vars(obj)
    if type(inst) is not dict:
        return object()
    traits = inst.get("_trait_values", {})
    return inst[name] if name in inst else traits.get(name) if type(traits) is dict else object()


def _value(obj, name):
    """How `obj.name` is defined (descriptor or instance value), what it holds (list items too)."""
    static = _static(obj, name)
    value = getattr(
        obj, name
    )  # only our recorded descriptors run here; a swapped one differs above
    return static + (value,) + (tuple(value) if type(value) is list else ())


def _same(a, b) -> bool:
    """Tuples compared element by element by identity (never by a notebook-defined __eq__)."""
    return a is b or (
        type(a) is tuple
        and type(b) is tuple
        and len(a) == len(b)
        and all(x is y for x, y in zip(a, b))
    )


def install() -> None:
    """Record the checker, register the audit hook, take the key: called once, before student code.

    The guard's own functions are rebuilt over a private copy of this module's globals and of the
    builtins, so rebinding a name in `utils.guard` or in `builtins` afterwards cannot reach them.
    """
    private = dict(globals())
    private["__builtins__"] = dict(vars(builtins))
    for name, value in list(private.items()):
        if type(value) is types.FunctionType and value.__module__ == __name__:
            private[name] = types.FunctionType(value.__code__, private, name, value.__defaults__)
    private["_install"]()


def _install() -> None:
    key_path, log_path = os.environ.pop(KEY_ENV, None), os.environ.pop(LOG_ENV, None)
    key, log = b"", None
    if key_path:
        with open(key_path, "rb") as f:
            key = f.read()
        os.unlink(key_path)
    if log_path:
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND)
    items = _snapshot()
    first = (
        "sys.modules",
        "builtins.vars",
        "type(shell)",
        "type(kernel)",
    )  # what later getters go through
    items = {**{k: items[k] for k in first if k in items}, **items}
    original = {label: get() for label, get in items.items()}
    state = {"seq": 0, "tampered": "", "busy": False}
    write, digest = os.write, _hashlib.hmac_digest
    prefix = "# grader: verify "

    def hook(event, args):
        if state["busy"] and (
            event == "sys._getframe"
            or (event == "object.__getattr__" and len(args) > 1 and str(args[1])[:3] in FRAME_ATTRS)
        ):
            raise RuntimeError("frame access is disabled while the grader verifies")
        if event in BLOCKED_EVENTS or (
            event == "object.__setattr__" and len(args) > 1 and args[1] == "__code__"
        ):
            raise RuntimeError(f"{event} is disabled while grading")
        if event != "compile" or not args or type(args[0]) not in (bytes, str):
            return
        source = args[0] if type(args[0]) is str else args[0].decode("utf-8", "replace")
        if not source.startswith(prefix):
            return
        cell = source.split("\n", 1)[0][len(prefix) :].strip()
        bad = []
        state["busy"] = True
        for label, get in items.items():  # in order; stop at the first difference, so nothing
            if not _same(get(), original[label]):  # swapped in can be called by a later getter
                bad.append(label)
                break
        state["busy"] = False
        if bad and not state["tampered"]:
            state["tampered"] = ", ".join(sorted(bad))[:300]
        verdict = f"tampered: {state['tampered']}" if state["tampered"] else "ok"
        state["seq"] += 1
        if log is not None:
            write(log, (sign(key, state["seq"], cell, verdict, digest) + "\n").encode())
        # No exception here: IPython also compiles outside the cell (should_run_async), where an
        # exception would lose the kernel's reply. The signed verdict is what the grader reads.

    sys.addaudithook(hook)
