import random

import numpy as np
import torch

from utils.seeding import set_seed


def _draws():
    return random.random(), np.random.rand(3), torch.rand(3)


def test_set_seed_makes_all_rngs_reproducible():
    set_seed(123)
    first = _draws()
    set_seed(123)
    second = _draws()
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])


def test_set_seed_different_seeds_differ():
    set_seed(1)
    a = _draws()
    set_seed(2)
    b = _draws()
    assert a[0] != b[0]
    assert not np.array_equal(a[1], b[1])
    assert not torch.equal(a[2], b[2])


def test_set_seed_returns_seeded_generator():
    gen = set_seed(7)
    assert isinstance(gen, torch.Generator)
    assert gen.initial_seed() == 7
    expected = torch.rand(4, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.rand(4, generator=gen), expected)


def test_set_seed_generator_is_independent_of_global_state():
    gen = set_seed(5)
    torch.rand(100)  # consuming the global RNG must not move the returned generator
    fresh = torch.Generator().manual_seed(5)
    assert torch.equal(torch.rand(2, generator=gen), torch.rand(2, generator=fresh))
