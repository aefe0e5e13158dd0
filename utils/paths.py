"""Where the course's files are: found from this package, never from the working directory."""

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
PACKAGED_DATA = Path(__file__).resolve().parent / "_data"  # only in the student bundle's wheel


def data_dir() -> Path:
    """The course's data folder: $COURSE_DATA_DIR if set, else the wheel's own copy when
    installed from the student bundle, else data/ in the repository."""
    if "COURSE_DATA_DIR" in os.environ:
        return Path(os.environ["COURSE_DATA_DIR"])
    return PACKAGED_DATA if PACKAGED_DATA.is_dir() else REPO_ROOT / "data"
