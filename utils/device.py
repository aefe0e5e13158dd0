"""Where tensors live: CUDA if present, then Apple's MPS, then the CPU."""

import torch


def get_device(prefer: str | None = None) -> torch.device:
    """CUDA if present, then Apple's MPS, then the CPU. `prefer` forces one (e.g. "cpu")."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")
