"""utils/__init__.py: notebooks reach every helper as `utils.<name>`; no module is shadowed."""

import importlib
import json
import re

import pytest

import utils
from utils.paths import NOTEBOOK_DIR

NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def _code(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_import_the_package_and_use_only_names_it_exports(path):
    code = _code(path)
    submodule_imports = re.findall(
        r"^\s*(?:from utils[.\w]* import .*|import utils\.\w+.*)$", code, re.MULTILINE
    )
    assert not submodule_imports, f"write `import utils` and utils.<name>: {submodule_imports}"
    missing = {
        name for name in re.findall(r"(?<![\w.])utils\.(\w+)", code) if not hasattr(utils, name)
    }
    assert not missing, f"utils does not export {sorted(missing)}"


@pytest.mark.parametrize(
    "module",
    [
        "device",
        "seeding",
        "toy_data",
        "training",
        "datasets",
        "text",
        "plot",
        "checks",
        "widgets",
        "paths",
        "gpt",
    ],
)
def test_every_module_is_reachable_under_its_own_name(module):
    """No exported function shadows a module: `import utils.training as m` gives the module."""
    m = importlib.import_module(f"utils.{module}")
    assert m.__name__ == f"utils.{module}" and getattr(utils, module, m) is m
