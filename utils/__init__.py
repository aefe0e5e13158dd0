"""Shared infrastructure of the course: device and seeds, toy data, plots, training loop, widgets, checks.

The ideas a notebook teaches are written in that notebook; what lives here is what several need.
"""
from .checks import ExerciseFailure, check, cmp, grad_check, numeric_grad, rel_error
from .core import get_device, set_seed
from .paths import NOTEBOOK_DIR, REPO_ROOT, data_dir
from .plot import decision_boundary, loss_curve, use_style
from .train import train
from .widgets import interact, slider
from .datasets import load_tinystories, mnist
from .text import CharVocab, bits_per_char, lm_batch
