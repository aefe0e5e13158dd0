"""One seed for every random number generator a notebook touches: Python's, numpy's and torch's.

String hashing is not among them: PYTHONHASHSEED takes effect only when the interpreter starts,
so setting it from a running notebook would change nothing.
"""

import random

import numpy as np
import torch


def set_seed(seed: int = 0) -> torch.Generator:
    """Seed python, numpy and torch; return a torch Generator seeded the same way."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
