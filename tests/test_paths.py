from pathlib import Path

import utils
from utils.paths import NOTEBOOK_DIR, REPO_ROOT, data_dir


def test_repo_root_contains_notebooks_and_utils():
    assert REPO_ROOT.is_absolute()
    assert (REPO_ROOT / "notebooks").is_dir()
    assert (REPO_ROOT / "utils").is_dir()
    assert (REPO_ROOT / "utils" / "paths.py").is_file()


def test_repo_root_is_independent_of_cwd(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert REPO_ROOT == Path(utils.__file__).resolve().parent.parent
    assert REPO_ROOT != tmp_path


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
