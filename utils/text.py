"""Text plumbing of the sequence notebooks (06-08): a character vocabulary, batches, bits/char."""

import math

import torch


class CharVocab:
    """Characters <-> integer ids, built from a text; unknown characters map to `unk` (or fail)."""

    def __init__(self, text: str, unk: str | None = None):
        chars = sorted(set(text) | ({unk} if unk else set()))
        self.itos = chars
        self.stoi = {c: i for i, c in enumerate(chars)}
        self.unk = unk

    def __len__(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> list[int]:
        if self.unk is None:
            missing = sorted(set(text) - self.stoi.keys())
            if missing:
                raise KeyError(
                    f"characters not in the vocabulary: {missing[:10]} "
                    "(build it with unk='?' to map them)"
                )
            return [self.stoi[c] for c in text]
        return [self.stoi.get(c, self.stoi[self.unk]) for c in text]

    def decode(self, ids) -> str:
        return "".join(self.itos[int(i)] for i in ids)


def lm_batch(
    ids: torch.Tensor, block_size: int, batch_size: int, generator: torch.Generator | None = None
):
    """Random windows of a 1-D token tensor: inputs x (B, T) and next-token targets y (B, T)."""
    if ids.ndim != 1 or len(ids) <= block_size:
        raise ValueError(
            f"need a 1-D tensor longer than block_size={block_size}, got shape {tuple(ids.shape)}"
        )
    starts = torch.randint(len(ids) - block_size, (batch_size,), generator=generator)
    offsets = torch.arange(block_size)
    x = ids[starts[:, None] + offsets]  # (B, T)
    y = ids[starts[:, None] + offsets + 1]  # (B, T), shifted by one
    return x, y


def bits_per_char(total_nats: float, n_chars: int) -> float:
    """Summed next-token cross-entropy (nats) over a text, per character of that text, in bits.

    Comparable across tokenizers: a BPE token covering 4 characters spends its loss on all four.
    """
    if n_chars <= 0:
        raise ValueError(f"n_chars must be positive, got {n_chars}")
    return total_nats / n_chars / math.log(2)
