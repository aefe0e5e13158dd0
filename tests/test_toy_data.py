import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.toy_data import GATES, TARGETS, blobs, logic_gate, moons, spirals, target_1d

FAST = settings(max_examples=25, deadline=None)

CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
TRUTH = {
    "AND": lambda a, b: a and b,
    "OR": lambda a, b: a or b,
    "XOR": lambda a, b: a != b,
    "NAND": lambda a, b: not (a and b),
}


# ---------------------------------------------------------------- logic_gate


@pytest.mark.parametrize("name", sorted(TRUTH))
def test_logic_gate_truth_table(name):
    X, y = logic_gate(name)
    np.testing.assert_array_equal(X, CORNERS)
    assert X.shape == (4, 2) and y.shape == (4,)
    assert np.issubdtype(y.dtype, np.integer)
    expected = [int(TRUTH[name](bool(a), bool(b))) for a, b in CORNERS]
    np.testing.assert_array_equal(y, expected)


def test_logic_gate_is_case_insensitive():
    np.testing.assert_array_equal(logic_gate("xor")[1], logic_gate("XOR")[1])


def test_logic_gate_covers_all_gates():
    assert set(GATES) == set(TRUTH)


@pytest.mark.parametrize("bad", ["NOR", "", "X0R"])
def test_logic_gate_unknown_name(bad):
    with pytest.raises(ValueError, match="unknown gate"):
        logic_gate(bad)


# ---------------------------------------------------------------- blobs


def test_blobs_shapes_and_labels():
    X, y, w = blobs(n=50, margin=0.5, seed=3)
    assert X.shape == (50, 2) and y.shape == (50,) and w.shape == (2,)
    assert set(np.unique(y)) <= {-1, 1}
    assert np.isclose(np.linalg.norm(w), 1.0)


def test_blobs_has_both_classes_for_default_size():
    _, y, _ = blobs()
    assert set(np.unique(y)) == {-1, 1}


@FAST
@given(
    n=st.integers(2, 300),
    margin=st.floats(0, 2.9),
    seed=st.integers(0, 2**32 - 1),
    radius=st.sampled_from([3.0, 5.0]),
)
def test_blobs_margin_property(n, margin, seed, radius):
    X, y, w = blobs(n=n, margin=margin, seed=seed, radius=radius)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert set(np.unique(y)) <= {-1, 1}
    assert np.all(y * (X @ w) >= margin - 1e-9)
    # pushed out by the margin, never further than radius + margin from the origin
    assert np.all(np.linalg.norm(X, axis=1) <= radius + margin + 1e-9)


@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_blobs_seed_reproducible(seed):
    a, b = blobs(n=40, seed=seed), blobs(n=40, seed=seed)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)


def test_blobs_different_seeds_differ():
    assert not np.array_equal(blobs(seed=0)[0], blobs(seed=1)[0])


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(n=1),
        dict(n=0),
        dict(margin=-0.1),
        dict(margin=3.0),
        dict(margin=4.0, radius=3.0),
    ],
)
def test_blobs_bad_args(kwargs):
    with pytest.raises(ValueError):
        blobs(**kwargs)


# ---------------------------------------------------------------- spirals and moons


@pytest.mark.parametrize("make", [spirals, moons])
@FAST
@given(n=st.integers(2, 400), seed=st.integers(0, 1000))
def test_two_class_shapes_and_balance(make, n, seed):
    X, y = make(n=n, seed=seed)
    assert X.shape == (n, 2) and y.shape == (n,)
    assert set(np.unique(y)) == {0, 1}
    assert abs(int((y == 0).sum()) - int((y == 1).sum())) <= 1
    assert np.all(np.isfinite(X))


@pytest.mark.parametrize("make", [spirals, moons])
def test_two_class_even_n_exactly_balanced(make):
    _, y = make(n=200)
    assert (y == 0).sum() == (y == 1).sum() == 100


@pytest.mark.parametrize("make", [spirals, moons])
def test_two_class_seed_reproducible(make):
    X1, y1 = make(n=100, seed=4)
    X2, y2 = make(n=100, seed=4)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    assert not np.array_equal(X1, make(n=100, seed=5)[0])


@pytest.mark.parametrize("make", [spirals, moons])
def test_two_class_noise_free_is_deterministic_geometry(make):
    X, y = make(n=100, noise=0.0, seed=0)
    if make is spirals:  # the second arm is the first rotated by 180 degrees
        np.testing.assert_allclose(X[y == 1], -X[y == 0])
    else:  # points on unit half circles
        np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0)
        np.testing.assert_allclose(np.linalg.norm(X[y == 1] - [1, 0.5], axis=1), 1.0)


# ---------------------------------------------------------------- target_1d


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_target_1d_shapes_and_values(name):
    x, y = target_1d(name, n=64)
    assert x.shape == (64, 1) and y.shape == (64, 1)
    assert np.all((x >= 0) & (x <= 1))
    assert np.all(np.diff(x[:, 0]) >= 0), "random x are sorted"
    np.testing.assert_allclose(y[:, 0], TARGETS[name](x[:, 0]))  # noise=0: exact samples


def test_target_1d_grid():
    x, y = target_1d("sin", n=11, grid=True)
    np.testing.assert_allclose(x[:, 0], np.linspace(0, 1, 11))
    np.testing.assert_allclose(y[:, 0], np.sin(2 * np.pi * np.linspace(0, 1, 11)), atol=1e-12)


def test_target_1d_noise_and_seed():
    clean = target_1d("bump", n=100, seed=1)
    noisy = target_1d("bump", n=100, noise=0.5, seed=1)
    np.testing.assert_array_equal(clean[0], noisy[0])
    assert not np.allclose(clean[1], noisy[1])
    again = target_1d("bump", n=100, noise=0.5, seed=1)
    np.testing.assert_array_equal(noisy[1], again[1])
    assert not np.array_equal(noisy[1], target_1d("bump", n=100, noise=0.5, seed=2)[1])


def test_target_1d_unknown_name():
    with pytest.raises(ValueError, match="unknown target"):
        target_1d("cosine")
