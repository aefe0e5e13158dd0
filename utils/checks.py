"""Checks that compare a from-scratch result with a reference and say exactly what differs.

`cmp` is for lecture code (print and return a verdict); `check` is for exercises: it runs the
student's function on several cases and stops at the first failing one with a specific message
(which case, expected versus got, shapes) instead of a traceback from inside the checker.
"""

import copy

import numpy as np
import torch


class ExerciseFailure(AssertionError):
    """An exercise check failed; the message is written for the student."""

    def _render_traceback_(self):
        # IPython (JupyterLab, nbval) shows this instead of a traceback. IPython never hides the
        # frame
        # that raised, `__tracebackhide__` or not, so without it the student would see the checker's
        # source.
        return [f"{type(self).__name__}: {self}"]


def _as_array(a):
    if isinstance(a, torch.Tensor):
        return a.detach().cpu().numpy()
    return np.asarray(a)


def max_abs_diff(a, b) -> float:
    a, b = _as_array(a).astype(float), _as_array(b).astype(float)
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def rel_error(a, b, eps: float = 1e-12) -> float:
    """max |a - b| / max(|a| + |b|): cs231n's relative error, scale-free."""
    a, b = _as_array(a).astype(float), _as_array(b).astype(float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), eps)))


def cmp(name: str, ours, ref, atol: float = 1e-6, rtol: float = 1e-5) -> bool:
    """Print whether `ours` equals `ref` exactly, approximately, by how much; return approx."""
    a, b = _as_array(ours), _as_array(ref)
    if a.shape != b.shape:
        print(f"{name:<24} | shape mismatch: ours {a.shape} vs reference {b.shape}")
        return False
    exact = bool(np.array_equal(a, b))
    approx = bool(np.allclose(a, b, atol=atol, rtol=rtol))
    print(
        f"{name:<24} | exact: {str(exact):5} | approx: {str(approx):5} "
        f"| max |diff|: {max_abs_diff(a, b):.2e}"
    )
    return approx


def numeric_grad(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central finite differences of a scalar function f at x (x is restored afterwards)."""
    x = np.asarray(x, dtype=float)
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        f_plus = f(x)
        x[i] = old - h
        f_minus = f(x)
        x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def grad_check(name: str, f, x: np.ndarray, analytic, h: float = 1e-5, tol: float = 1e-6) -> float:
    """An analytic gradient against central differences: print and return the relative error."""
    err = rel_error(analytic, numeric_grad(f, np.array(x, dtype=float), h))
    print(f"{name:<24} | relative error {err:.2e} ({'ok' if err < tol else 'TOO LARGE'})")
    return err


def _describe(value) -> str:
    if isinstance(value, (np.ndarray, torch.Tensor)):
        arr = _as_array(value)
        body = np.array2string(arr, precision=4, threshold=12, edgeitems=3, suppress_small=True)
        return f"{type(value).__name__} of shape {tuple(arr.shape)}, dtype {value.dtype}: {body}"
    return repr(value) if len(repr(value)) < 200 else repr(value)[:200] + "..."


def _mismatch(got, expected, atol, rtol) -> str | None:
    """Why `got` is not `expected`, or None when they agree."""
    if isinstance(expected, (np.ndarray, torch.Tensor)) or (
        isinstance(expected, (list, tuple))
        and expected
        and all(isinstance(e, (int, float)) for e in expected)
    ):
        if got is None:
            return "your function returned None (did you forget `return`?)"
        got_array = _as_array(got)
        if got_array.dtype.kind not in "biuf":
            return f"wrong dtype: expected real numbers, got dtype {got_array.dtype}"
        try:
            g, e = got_array.astype(float), _as_array(expected).astype(float)
        except (TypeError, ValueError):
            return f"expected an array, got {type(got).__name__}"
        if g.shape != e.shape:
            return f"wrong shape: expected {e.shape}, got {g.shape}"
        if np.isnan(g).any() and not np.isnan(e).any():
            return "your result contains NaN"
        if not np.allclose(g, e, atol=atol, rtol=rtol, equal_nan=True):
            return f"wrong values (max |diff| {max_abs_diff(g, e):.3g})"
        return None
    if isinstance(expected, (tuple, list)):
        if not isinstance(got, (tuple, list)) or len(got) != len(expected):
            kind = type(expected).__name__
            return f"expected a {kind} of {len(expected)} items, got {_describe(got)}"
        for i, (g, e) in enumerate(zip(got, expected)):
            why = _mismatch(g, e, atol, rtol)
            if why:
                return f"item {i}: {why}"
        return None
    if isinstance(expected, (bool, np.bool_)):
        return (
            None
            if isinstance(got, (bool, np.bool_)) and bool(got) == bool(expected)
            else "wrong value"
        )
    if isinstance(expected, (int, float, np.number)):
        try:
            ok = np.isclose(float(got), float(expected), atol=atol, rtol=rtol)
        except (TypeError, ValueError):
            return f"expected a number, got {type(got).__name__}"
        return None if ok else "wrong value"
    return None if got == expected else "wrong value"


def check(
    name: str,
    fn,
    cases,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    hint: str | None = None,
    quiet=False,
):
    """Run `fn` on each case and raise ExerciseFailure at the first wrong one.

    `cases` is a list of `(args, expected)` or `(args, expected, label)`; `args` is a tuple of
    positional arguments (copied, so the student's function cannot change them for the next case).
    `expected` is a value to compare with (arrays by shape then values) or a callable `expected(got)
    -> None | str` returning why `got` is wrong. Prints a one-line success message when every case
    passes and returns
    None (so a test cell shows no result that nbgrader could read as partial credit).
    """
    __tracebackhide__ = (
        True  # IPython and pytest hide this frame: the student sees the message only
    )
    if not callable(fn):
        raise ExerciseFailure(f"{name}: expected a function, got {type(fn).__name__}")
    for i, case in enumerate(cases, 1):
        args, expected = case[0], case[1]
        label = case[2] if len(case) > 2 else ", ".join(_describe(a) for a in args)
        try:
            got = fn(*copy.deepcopy(tuple(args)))
        except NotImplementedError:
            raise ExerciseFailure(
                f"{name}: not attempted yet. Replace `raise NotImplementedError()` in "
                "the exercise's cell with your code, run it, then run this check."
            ) from None
        except (
            Exception,
            SystemExit,
        ) as err:  # the student's code failed: name the case and the error
            raise ExerciseFailure(
                f"{name}, case {i} ({label}): your function raised {type(err).__name__}: {err}"
            ) from None
        why = expected(got) if callable(expected) else _mismatch(got, expected, atol, rtol)
        if why:
            lines = [f"{name}, case {i} failed: {why}", f"  input:    {label}"]
            if not callable(expected):
                lines += [f"  expected: {_describe(expected)}", f"  got:      {_describe(got)}"]
            if hint:
                lines.append(f"  hint: {hint}")
            raise ExerciseFailure("\n".join(lines))
    if not quiet:
        print(f"✓ {name}: all {len(cases)} cases passed" if len(cases) > 1 else f"✓ {name}: passed")
