"""Shared infrastructure of the course: device and seeds, data, plots, training loop, widgets,
checks.

The ideas a notebook teaches are written in that notebook; what lives here is what several need.
Notebooks `import utils` and write `utils.<name>`: every name a notebook uses is exported here
(the GPT of notebook 08 as the subpackage `utils.gpt`), and no notebook imports a module of utils.
"""

from . import exercises, gpt
from .checks import ExerciseFailure, check, cmp, grad_check, numeric_grad, rel_error
from .datasets import load_tinystories, mnist
from .device import get_device
from .paths import NOTEBOOK_DIR, REPO_ROOT, data_dir
from .plot import decision_boundary, loss_curve, use_style
from .seeding import set_seed
from .text import CharVocab, bits_per_char, lm_batch
from .toy_data import GATES, TARGETS, blobs, logic_gate, moons, spirals, target_1d
from .training import batches, train
from .widgets import interact, slider

exercises.register()  # the %%needs cell magic (utils/exercises.py), when running in IPython
