import os
import random

import numpy as np
import pytest
import torch

from utils.core import get_device, set_seed


@pytest.fixture
def no_accelerators(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    if getattr(torch.backends, "mps", None) is not None:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)


def test_get_device_falls_back_to_cpu(no_accelerators):
    device = get_device()
    assert isinstance(device, torch.device)
    assert device.type == "cpu"


def test_get_device_prefers_cuda_when_available(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device().type == "cuda"


def test_get_device_uses_mps_when_no_cuda(monkeypatch):
    if getattr(torch.backends, "mps", None) is None:
        pytest.skip("this torch build has no MPS backend module")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert get_device().type == "mps"


@pytest.mark.parametrize("prefer", ["cpu", "meta", "cuda"])
def test_get_device_honours_prefer(monkeypatch, prefer):
    # prefer wins even over an accelerator that is (pretend) available
    monkeypatch.setattr(torch.cuda, "is_available", lambda: prefer != "cuda")
    assert get_device(prefer) == torch.device(prefer)


def _draws():
    return random.random(), np.random.rand(3), torch.rand(3)


@pytest.fixture
def keep_hashseed(monkeypatch):
    monkeypatch.delenv("PYTHONHASHSEED", raising=False)  # restored after the test


def test_set_seed_makes_all_rngs_reproducible(keep_hashseed):
    set_seed(123)
    first = _draws()
    set_seed(123)
    second = _draws()
    assert first[0] == second[0]
    np.testing.assert_array_equal(first[1], second[1])
    assert torch.equal(first[2], second[2])


def test_set_seed_different_seeds_differ(keep_hashseed):
    set_seed(1)
    a = _draws()
    set_seed(2)
    b = _draws()
    assert a[0] != b[0]
    assert not np.array_equal(a[1], b[1])
    assert not torch.equal(a[2], b[2])


def test_set_seed_returns_seeded_generator(keep_hashseed):
    gen = set_seed(7)
    assert isinstance(gen, torch.Generator)
    assert gen.initial_seed() == 7
    expected = torch.rand(4, generator=torch.Generator().manual_seed(7))
    assert torch.equal(torch.rand(4, generator=gen), expected)


def test_set_seed_generator_is_independent_of_global_state(keep_hashseed):
    gen = set_seed(5)
    torch.rand(100)  # consuming the global RNG must not move the returned generator
    assert torch.equal(torch.rand(2, generator=gen), torch.rand(2, generator=torch.Generator().manual_seed(5)))


def test_set_seed_sets_pythonhashseed(keep_hashseed):
    set_seed(42)
    assert os.environ["PYTHONHASHSEED"] == "42"
