"""utils/text.py: the character vocabulary round-trips, LM batches are shifted windows, bits/char
is exact."""

import math

import pytest
import torch
from hypothesis import given, settings, strategies as st

from utils.text import CharVocab, bits_per_char, lm_batch


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=200))
def test_char_vocab_round_trips(text):
    vocab = CharVocab(text)
    assert vocab.decode(vocab.encode(text)) == text
    assert len(vocab) == len(set(text)) and vocab.itos == sorted(vocab.itos)


def test_unknown_characters():
    vocab = CharVocab("abc")
    with pytest.raises(KeyError, match="'z'"):
        vocab.encode("az")
    vocab = CharVocab("abc", unk="?")
    assert vocab.decode(vocab.encode("azb")) == "a?b"


def test_lm_batch_targets_are_inputs_shifted_by_one():
    ids = torch.arange(100)
    x, y = lm_batch(ids, block_size=8, batch_size=5, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (5, 8)
    assert torch.equal(y, x + 1) and torch.equal(x[:, 1:], x[:, :-1] + 1)
    x2, _ = lm_batch(ids, 8, 5, torch.Generator().manual_seed(0))
    assert torch.equal(x, x2)
    with pytest.raises(ValueError, match="longer than block_size"):
        lm_batch(torch.arange(8), 8, 2)


def test_bits_per_char():
    assert bits_per_char(math.log(2) * 10, 10) == pytest.approx(1.0)
    assert bits_per_char(math.log(27) * 100, 100) == pytest.approx(math.log2(27))
    with pytest.raises(ValueError):
        bits_per_char(1.0, 0)
