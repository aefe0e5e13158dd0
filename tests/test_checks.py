import numpy as np
import pytest
import torch

from utils.checks import ExerciseFailure, check, cmp, grad_check, numeric_grad, rel_error


# ---------------------------------------------------------------- cmp and rel_error


def test_cmp_equal(capsys):
    assert cmp("same", np.arange(3.0), np.arange(3.0)) is True
    out = capsys.readouterr().out
    assert "same" in out and "exact: True" in out and "approx: True" in out


def test_cmp_close_but_not_exact(capsys):
    a = np.ones(4)
    assert cmp("close", a + 1e-9, torch.ones(4, dtype=torch.float64)) is True
    out = capsys.readouterr().out
    assert "exact: False" in out and "approx: True" in out


def test_cmp_different(capsys):
    assert cmp("diff", np.array([1.0, 2.0]), np.array([1.0, 2.5])) is False
    out = capsys.readouterr().out
    assert "approx: False" in out and "5.00e-01" in out


def test_cmp_shape_mismatch(capsys):
    assert cmp("shapes", np.zeros((2, 3)), np.zeros((3, 2))) is False
    out = capsys.readouterr().out
    assert "shape mismatch" in out and "(2, 3)" in out and "(3, 2)" in out


def test_cmp_tolerance():
    assert cmp("t", [1.0], [1.01], atol=0.1) is True
    assert cmp("t", [1.0], [1.01]) is False


def test_rel_error_values():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0  # no division by zero
    # scale-free
    assert rel_error([1e6], [1.1e6]) == pytest.approx(rel_error([1.0], [1.1]))
    assert rel_error(torch.tensor([2.0]), [1.0]) == pytest.approx(1 / 3)


# ---------------------------------------------------------------- numeric_grad and grad_check


def test_numeric_grad_of_sum_of_squares():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -0.25]])
    before = x.copy()
    g = numeric_grad(lambda v: np.sum(v**2), x)
    assert g.shape == x.shape
    np.testing.assert_allclose(g, 2 * x, atol=1e-6)
    np.testing.assert_array_equal(x, before)  # x is restored


def test_numeric_grad_of_matrix_function():
    rng = np.random.default_rng(0)
    A, B = rng.standard_normal((3, 4)), rng.standard_normal((3, 5))
    W = rng.standard_normal((4, 5))
    # f(W) = sum((A W) * B)  ->  df/dW = A^T B
    g = numeric_grad(lambda w: np.sum((A @ w) * B), W)
    np.testing.assert_allclose(g, A.T @ B, atol=1e-6)


def test_numeric_grad_accepts_int_input():
    g = numeric_grad(lambda v: float(np.sum(v**3)), np.array([1, 2]))
    np.testing.assert_allclose(g, [3.0, 12.0], rtol=1e-6)


def test_grad_check_correct_gradient(capsys):
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    err = grad_check("square", lambda v: np.sum(v**2), x, 2 * x)
    assert err < 1e-7
    assert "ok" in capsys.readouterr().out


def test_grad_check_wrong_gradient(capsys):
    x = np.linspace(-1, 1, 6).reshape(2, 3)
    err = grad_check("square", lambda v: np.sum(v**2), x, 3 * x)
    assert err > 1e-2
    assert "TOO LARGE" in capsys.readouterr().out


def test_grad_check_does_not_mutate_x():
    x = np.array([0.3, -0.7])
    before = x.copy()
    grad_check("q", lambda v: np.sum(np.sin(v)), x, np.cos(x))
    np.testing.assert_array_equal(x, before)


# ---------------------------------------------------------------- check


def square(x):
    return x**2


CASES = [
    ((np.array([1.0, 2.0]),), np.array([1.0, 4.0])),
    ((np.array([[-3.0]]),), np.array([[9.0]])),
]


def test_check_passes_and_prints(capsys):
    # returns None on success (documented: a test cell must show no result)
    assert check("square", square, CASES) is None
    out = capsys.readouterr().out
    assert out.strip() == "✓ square: all 2 cases passed"


def test_check_single_case_message(capsys):
    check("square", square, CASES[:1])
    out = capsys.readouterr().out
    assert out.startswith("✓ square: passed")


def test_check_quiet(capsys):
    assert check("square", square, CASES, quiet=True) is None
    assert capsys.readouterr().out == ""


def test_check_accepts_torch_results():
    check("square", lambda x: torch.as_tensor(x) ** 2, CASES, quiet=True)


def test_exercise_failure_is_assertion_error():
    assert issubclass(ExerciseFailure, AssertionError)


def test_check_not_callable():
    with pytest.raises(ExerciseFailure, match="expected a function"):
        check("square", None, CASES)


def test_check_not_implemented():
    def todo(x):
        raise NotImplementedError()

    with pytest.raises(ExerciseFailure, match="not attempted yet"):
        check("square", todo, CASES)


def test_check_wrong_values_names_case_expected_got():
    def wrong_on_second(x):
        return x**2 if x.size > 1 else x * 2

    with pytest.raises(ExerciseFailure) as info:
        check("square", wrong_on_second, CASES, hint="multiply x by itself")
    msg = str(info.value)
    assert "case 2 failed" in msg and "wrong values" in msg
    assert "expected: ndarray of shape (1, 1)" in msg and "9." in msg
    assert "got:" in msg and "-6." in msg
    assert "input:" in msg and "-3." in msg
    assert "hint: multiply x by itself" in msg
    assert "case 1" not in msg


def test_check_custom_label():
    with pytest.raises(ExerciseFailure, match=r"input:\s+negative one"):
        check("neg", lambda x: x, [((1,), -1, "negative one")])


def test_check_wrong_shape():
    with pytest.raises(ExerciseFailure) as info:
        check("square", lambda x: (x**2)[None], CASES)
    msg = str(info.value)
    assert "case 1" in msg and "wrong shape" in msg
    assert "(2,)" in msg and "(1, 2)" in msg


def test_check_nan():
    with pytest.raises(ExerciseFailure, match="NaN"):
        check("square", lambda x: np.full_like(x, np.nan), CASES)


def test_check_nan_expected_is_fine():
    check("ident", lambda x: x, [((np.array([np.nan, 1.0]),), np.array([np.nan, 1.0]))], quiet=True)


def test_check_returned_none():
    def forgot_return(x):
        x**2

    with pytest.raises(ExerciseFailure, match="returned None"):
        check("square", forgot_return, CASES)


def test_check_reports_student_exception():
    def broken(x):
        raise ValueError("bad shapes here")

    with pytest.raises(ExerciseFailure) as info:
        check("square", broken, CASES)
    msg = str(info.value)
    assert "case 1" in msg and "ValueError" in msg and "bad shapes here" in msg
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_check_callable_expected_message():
    def positive(got):
        return None if got > 0 else f"must be positive, got {got}"

    check("pos", lambda x: x + 1, [((1,), positive)], quiet=True)
    with pytest.raises(ExerciseFailure) as info:
        check("pos", lambda x: x - 5, [((1,), positive), ((2,), positive)])
    msg = str(info.value)
    assert "case 1 failed: must be positive, got -4" in msg
    assert "expected:" not in msg


def test_check_deep_copies_arguments():
    x = np.array([1.0, 2.0, 3.0])
    nested = [np.zeros(2)]

    def mutating(a, lst):
        a *= 100
        lst[0][:] = 7
        lst.append(None)
        return a.sum()

    check("mutate", mutating, [((x, nested), 600.0), ((x, nested), 600.0)], quiet=True)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
    assert len(nested) == 1
    np.testing.assert_array_equal(nested[0], [0.0, 0.0])


def test_check_tuple_of_arrays_itemwise():
    def stats(x):
        return x.mean(0), x.std(0)

    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    check("stats", stats, [((x,), (np.array([2.0, 4.0]), np.array([1.0, 2.0])))], quiet=True)
    with pytest.raises(ExerciseFailure, match=r"item 1: wrong values"):
        check(
            "stats",
            lambda x: (x.mean(0), x.var(0)),
            [((x,), (np.array([2.0, 4.0]), np.array([1.0, 2.0])))],
        )
    with pytest.raises(ExerciseFailure, match=r"item 0: wrong shape"):
        check(
            "stats",
            lambda x: (x.mean(), x.std(0)),
            [((x,), (np.array([2.0, 4.0]), np.array([1.0, 2.0])))],
        )
    with pytest.raises(ExerciseFailure, match="expected a tuple of 2 items"):
        check("stats", lambda x: x.mean(0), [((x,), (np.array([2.0, 4.0]), np.array([1.0, 2.0])))])


@pytest.mark.parametrize(
    "expected, good, bad, why",
    [
        (3.0, 3.0000001, 3.1, "wrong value"),
        (True, True, False, "wrong value"),
        ("relu", "relu", "tanh", "wrong value"),
        ([1, 2], np.array([1.0, 2.0]), [1, 3], "wrong values"),
    ],
)
def test_check_scalar_and_list_expectations(expected, good, bad, why):
    check("val", lambda: good, [((), expected)], quiet=True)
    with pytest.raises(ExerciseFailure, match=why):
        check("val", lambda: bad, [((), expected)])


def test_check_number_expected_non_number_got():
    with pytest.raises(ExerciseFailure, match="expected a number"):
        check("val", lambda: "three", [((), 3.0)])


def test_check_bool_expected_rejects_int():
    with pytest.raises(ExerciseFailure, match="wrong value"):
        check("flag", lambda: 1, [((), True)])


def test_check_tolerances():
    case = [((), np.array([1.0]))]
    check("tol", lambda: np.array([1.001]), case, atol=1e-2, quiet=True)
    with pytest.raises(ExerciseFailure):
        check("tol", lambda: np.array([1.001]), case)
