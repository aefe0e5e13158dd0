"""utils/guard.py: signed evidence, and the audit hook in a real IPython shell (in a subprocess,
since an audit hook can never be removed from the process that installs it)."""

import json
import subprocess
import sys

import pytest

from utils import guard

KEY = b"k" * 32


def test_evidence_signed_with_the_key_is_read_back_and_forgeries_are_dropped():
    lines = [
        guard.sign(KEY, 1, "ex1_check", "ok"),
        guard.sign(KEY, 2, "ex2_check", "tampered: utils.check"),
    ]
    forged = [
        "3 ex3_check ok " + "0" * 64,
        guard.sign(b"wrong key", 4, "ex4_check", "ok"),
        "garbage",
        "",
    ]
    assert guard.read_evidence(KEY, "\n".join(lines + forged)) == [
        ("ex1_check", "ok"),
        ("ex2_check", "tampered: utils.check"),
    ]


def test_the_marker_names_the_cell():
    assert guard.marker("ex1_check") == "# grader: verify ex1_check\n"


SCRIPT = r'''
import json, os, sys, tempfile
from IPython.core.interactiveshell import InteractiveShell
from utils import guard
work = tempfile.mkdtemp()
key_path, log_path = os.path.join(work, "key"), os.path.join(work, "log")
open(key_path, "wb").write(b"k" * 32)
open(log_path, "wb").close()
os.environ[guard.KEY_ENV], os.environ[guard.LOG_ENV] = key_path, log_path
shell = InteractiveShell.instance()
out = {}
def run(name, source):
    result = shell.run_cell(source)
    out[name] = type(result.error_in_exec).__name__ if result.error_in_exec else "ok"
run("setup", guard.GUARD_SETUP)
out["key file left"] = os.path.exists(key_path)
out["env left"] = [k for k in (guard.KEY_ENV, guard.LOG_ENV) if k in os.environ]
for step, source in enumerate(sys.argv[1:]):
    run(f"step{step}", source)
    run(f"check{step}", guard.marker(f"cell{step}") + "pass")
out["log"] = open(log_path).read()
print("RESULT" + json.dumps(out))
'''


def _shell(*steps):
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, *steps], capture_output=True, text=True, timeout=300
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("RESULT")]
    assert line, proc.stdout + proc.stderr
    out = json.loads(line[0][len("RESULT") :])
    verdicts = {}
    for cell, verdict in guard.read_evidence(KEY, out["log"]):  # read here, as the worker does
        verdicts.setdefault(cell, verdict)
    return out, verdicts


@pytest.fixture(scope="module")
def tampering():
    return _shell(
        "x = 1",  # cell0: honest
        "import utils.guard, builtins\nutils.guard.sign = utils.guard._same = lambda *a, **k: "
        "True\n"
        "__course_verify = None",  # cell1: guard's names
        "import utils\nreal = utils.check\nutils.check = lambda *a, **k: "
        "None",  # cell2: the checker
        "utils.check = real",  # cell3: put it back
    )


def test_the_setup_takes_the_key_and_leaves_nothing_behind(tampering):
    out, _ = tampering
    assert out["setup"] == "ok" and out["key file left"] is False and out["env left"] == []


def test_rebinding_the_guards_own_names_changes_nothing(tampering):
    _, verdicts = tampering
    assert (
        verdicts["cell0"] == "ok" and verdicts["cell1"] == "ok"
    )  # still signed, with the real key


def test_a_replaced_checker_is_reported_and_the_verdict_is_sticky(tampering):
    _, verdicts = tampering
    assert verdicts["cell2"] == "tampered: utils.check"
    assert verdicts["cell3"] == "tampered: utils.check"  # putting it back does not clear it


@pytest.mark.parametrize(
    "attack, label",
    [
        ("import builtins\nbuiltins.all = lambda *a: True", "builtins.all"),
        ("import numpy\nnumpy.allclose = lambda *a, **k: True", "numpy.allclose"),
        (
            "import sys, types\nsys.modules['utils'] = types.ModuleType('utils')",
            "sys.modules['utils']",
        ),
        (
            "import utils.checks\nutils.checks.check.__defaults__ = (1e9, 1e9, None, False)",
            "utils.check (code, defaults)",
        ),
        (
            "get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)",
            "shell.custom_exceptions",
        ),
        (
            "get_ipython().input_transformers_post.append(lambda lines: lines)",
            "shell.input_transformers_post",
        ),
        ("get_ipython().events.register('pre_run_cell', lambda *a: None)", "shell.events"),
        ("import numpy as np\nnp = None", "the notebook's np"),
    ],
)
def test_each_kind_of_patch_is_caught(attack, label):
    _, verdicts = _shell(attack)
    assert verdicts["cell0"] == f"tampered: {label}"


@pytest.mark.parametrize(
    "attack",
    [
        "import gc\ngc.get_referrers(gc)",
        "import sys\nsys.settrace(lambda *a: None)",
        "import utils\nutils.check.__code__ = (lambda: 0).__code__",
    ],
)
def test_introspection_that_reaches_the_guard_is_refused(attack):
    out, verdicts = _shell(attack)
    assert out["step0"] == "RuntimeError" and verdicts["cell0"] == "ok"
