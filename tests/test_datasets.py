"""utils/datasets.py: MNIST-5k split, TinyStories resolution order, parsing edge cases, offline
errors."""

from pathlib import Path

import pytest
import torch

from utils import datasets
from utils.datasets import (
    EOT,
    DataUnavailable,
    load_tinystories,
    mnist,
    parse_stories,
    tinystories_path,
)

SAMPLE = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "data"
    / "tinystories"
    / "tinystories_sample.txt"
)


@pytest.fixture(scope="module")
def digits():
    return mnist()


def test_mnist_split_shapes_dtypes_and_balance(digits):
    assert digits.X_train.shape == (4000, 1, 28, 28) and digits.X_test.shape == (1000, 1, 28, 28)
    assert digits.X_train.dtype == torch.float32 and digits.y_train.dtype == torch.int64
    assert torch.bincount(digits.y_test).tolist() == [100] * 10
    assert torch.bincount(digits.y_train).tolist() == [400] * 10


def test_mnist_is_normalised_and_fixed(digits):
    assert abs(digits.X_train.mean().item()) < 0.05 and abs(digits.X_train.std().item() - 1) < 0.05
    again = mnist()
    assert torch.equal(again.X_test, digits.X_test) and torch.equal(again.y_train, digits.y_train)


def test_mnist_train_and_test_are_disjoint(digits):
    train = {tuple(x.flatten()[::7].tolist()) for x in digits.X_train[:4000]}
    assert not any(tuple(x.flatten()[::7].tolist()) in train for x in digits.X_test)


def test_mnist_options():
    raw = mnist(n_test_per_class=50, normalize=False, flatten=True)
    assert raw.X_train.shape == (4500, 784) and raw.X_test.shape == (500, 784)
    assert raw.X_train.min() >= 0 and raw.X_train.max() <= 1
    with pytest.raises(ValueError, match="n_test_per_class"):
        mnist(n_test_per_class=500)


def _write(tmp_path, text, name="stories.txt"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_parse_drops_the_truncated_tail_and_blank_stories():
    text = f"One.\n{EOT}\n\n{EOT}\nTwo.\n{EOT}\nThree is cut off mid-sen"
    assert parse_stories(text) == ["One.", "Two."]
    assert parse_stories(f"One.{EOT}Two.{EOT}\n") == ["One.", "Two."]


def test_parse_rejects_text_without_separator():
    with pytest.raises(ValueError, match="separator"):
        parse_stories("just some text")


def test_load_splits_last_tenth_as_validation(tmp_path):
    path = _write(tmp_path, "".join(f"Story {i}.{EOT}" for i in range(20)) + "tail")
    train, val = load_tinystories(path)
    assert train == [f"Story {i}." for i in range(18)] and val == ["Story 18.", "Story 19."]


def test_load_empty_file_and_single_story_fail_clearly(tmp_path):
    with pytest.raises(ValueError, match="separator"):
        load_tinystories(_write(tmp_path, ""))
    with pytest.raises(ValueError, match="at least 2"):
        load_tinystories(_write(tmp_path, f"Only one.{EOT}", "one.txt"))
    with pytest.raises(ValueError, match="val_fraction"):
        load_tinystories(_write(tmp_path, f"a{EOT}b{EOT}", "two.txt"), val_fraction=1.5)


def test_missing_explicit_file_says_how_to_get_the_data(tmp_path):
    with pytest.raises(FileNotFoundError, match="TINYSTORIES_PATH"):
        tinystories_path(tmp_path / "nope.txt")


def test_resolution_order_argument_then_env_then_cache(tmp_path, monkeypatch):
    arg, env = _write(tmp_path, f"a{EOT}", "arg.txt"), _write(tmp_path, f"b{EOT}", "env.txt")
    cache = tmp_path / "data" / "tinystories" / "TinyStories-valid.txt"
    cache.parent.mkdir(parents=True)
    cache.write_text(f"c{EOT}")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TINYSTORIES_PATH", str(env))
    assert tinystories_path(arg) == arg
    assert tinystories_path() == env
    monkeypatch.delenv("TINYSTORIES_PATH")
    assert tinystories_path() == cache
    monkeypatch.setenv("TINYSTORIES_PATH", str(tmp_path / "missing.txt"))
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        tinystories_path()


def test_the_cache_follows_course_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    assert datasets.tinystories_cache() == tmp_path / "tinystories" / "TinyStories-valid.txt"


def test_offline_without_a_copy_raises_a_helpful_error(tmp_path, monkeypatch):
    import huggingface_hub

    monkeypatch.delenv("TINYSTORIES_PATH", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))

    def offline(*args, **kwargs):
        raise ConnectionError("no network")

    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", offline)
    with pytest.raises(
        DataUnavailable, match="set the environment variable TINYSTORIES_PATH"
    ) as err:
        tinystories_path()
    assert str(tmp_path / "tinystories" / "TinyStories-valid.txt") in str(err.value), (
        "names the cache"
    )


def test_download_is_verified_by_checksum(tmp_path, monkeypatch):
    import hashlib
    import huggingface_hub

    body = f"A story.{EOT}".encode()

    def fake_download(repo, filename, repo_type, local_dir):
        path = Path(local_dir) / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        return str(path)

    class Meta:
        etag = '"' + hashlib.sha256(body).hexdigest() + '"'

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", lambda url: Meta)
    path = datasets.download_tinystories(tmp_path)
    assert path.read_bytes() == body
    Meta.etag = "0" * 64
    with pytest.raises(DataUnavailable, match="checksum"):
        datasets.download_tinystories(tmp_path)
    assert not path.exists()


@pytest.mark.skipif(
    not SAMPLE.exists(), reason="the shared TinyStories sample is not beside the repo"
)
def test_the_shared_sample_loads():
    train, val = load_tinystories(SAMPLE)
    assert len(train) + len(val) == 2316 and len(val) == 232
    assert all(EOT not in s for s in train[:50])
