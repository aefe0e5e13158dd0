"""Where the course's files are, resolved from this package, never from the notebook's working directory."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = REPO_ROOT / "notebooks"


def data_dir() -> Path:
    """The course's data folder: $COURSE_DATA_DIR if set, else data/ in the repository."""
    return Path(os.environ.get("COURSE_DATA_DIR", REPO_ROOT / "data"))
