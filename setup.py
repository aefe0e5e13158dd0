"""Stop at once on a Python that the pinned wheels do not support, before pip resolves anything.

pip checks `requires-python` only after it has looked up every pinned requirement, so on Python
3.10 `pip install -r requirements.txt` downloaded torch (527 MB) and then failed on numpy with a
resolver error. pip builds `-e .` before it resolves the pins, so this check runs first and says
which versions work. The versions come from pyproject.toml's `requires-python`.
"""

import re
import sys
from pathlib import Path

pyproject = (Path(__file__).resolve().parent / "pyproject.toml").read_text()
spec = re.search(r'requires-python = ">=3\.(\d+), *<3\.(\d+)"', pyproject)
low, high = int(spec[1]), int(spec[2])
if not low <= sys.version_info[1] < high or sys.version_info[0] != 3:
    sys.exit(
        f"This course needs Python 3.{low} to 3.{high - 1} (the pinned numpy 2.4.6 has "
        f"wheels for those only); this is Python {sys.version.split()[0]}. Create the venv "
        f"with one of them, e.g. `python3.{low} -m venv .venv`."
    )

from setuptools import setup  # noqa: E402  (after the check: an old Python may lack setuptools)

setup()
