import os
import subprocess
import sys
from pathlib import Path

import utils
from utils.paths import NOTEBOOK_DIR, REPO_ROOT, data_dir


def test_repo_root_contains_notebooks_and_utils():
    assert REPO_ROOT.is_absolute()
    assert (REPO_ROOT / "notebooks").is_dir()
    assert (REPO_ROOT / "utils").is_dir()
    assert (REPO_ROOT / "utils" / "paths.py").is_file()


def test_paths_do_not_depend_on_the_folder_python_starts_in(tmp_path):
    """A fresh interpreter started elsewhere (as nbgrader or papermill --cwd start a kernel)
    resolves the same folders: they come from the package's location, not the working directory."""
    (tmp_path / "data").mkdir()  # a decoy: a cwd-relative lookup would find this one
    # paths.py alone, by file: the package's __init__ would import torch and take seconds
    code = (
        "import importlib.util as u; s = u.spec_from_file_location('p', %r); "
        "p = u.module_from_spec(s); s.loader.exec_module(p); "
        "print(p.REPO_ROOT); print(p.data_dir())" % str(REPO_ROOT / "utils" / "paths.py")
    )
    env = {k: v for k, v in os.environ.items() if k != "COURSE_DATA_DIR"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert out[:2] == [str(REPO_ROOT), str(REPO_ROOT / "data")]
    assert REPO_ROOT == Path(utils.__file__).resolve().parent.parent


def test_notebook_dir():
    assert NOTEBOOK_DIR == REPO_ROOT / "notebooks"
    assert NOTEBOOK_DIR.is_dir()


def test_data_dir_default(monkeypatch):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    assert data_dir() == REPO_ROOT / "data"
    assert isinstance(data_dir(), Path)


def test_data_dir_honours_env(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "elsewhere"))
    result = data_dir()
    assert isinstance(result, Path)
    assert result == tmp_path / "elsewhere"
