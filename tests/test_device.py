import pytest
import torch

from utils.device import get_device


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
