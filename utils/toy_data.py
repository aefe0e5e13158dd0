"""Toy data sets as plain functions: arrays in, arrays out, seeded, no downloads."""

import numpy as np

GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0], "NAND": [1, 1, 1, 0]}


def logic_gate(name: str):
    """The unit square's corners and the gate's truth table: X (4, 2), y (4,) in {0, 1}."""
    key = name.upper()
    if key not in GATES:
        raise ValueError(f"unknown gate {name!r}; choose one of {sorted(GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    return X, np.array(GATES[key], dtype=int)


def blobs(n: int = 100, margin: float = 0.5, seed: int = 0, radius: float = 3.0):
    """Linearly separable 2-D data with labels in {-1, +1} and a guaranteed margin.

    Points are uniform in a disc of `radius`; the true separator is a random unit vector w* through
    the origin, and points closer than `margin` to it are pushed out, so gamma >= margin for w*.
    Returns X (n, 2), y (n,), w_star (2,).
    """
    if n < 2 or margin < 0 or margin >= radius:
        raise ValueError(
            f"need n >= 2 and 0 <= margin < radius, got n={n}, margin={margin}, radius={radius}"
        )
    rng = np.random.default_rng(seed)
    angle = rng.uniform(0, 2 * np.pi)
    w_star = np.array([np.cos(angle), np.sin(angle)])
    r = radius * np.sqrt(rng.uniform(0, 1, n))
    theta = rng.uniform(0, 2 * np.pi, n)
    X = np.stack([r * np.cos(theta), r * np.sin(theta)], axis=1)
    y = np.where(X @ w_star >= 0, 1, -1)
    X += np.outer(y * margin, w_star)  # push each point away from the boundary by the margin
    return X, y, w_star


def spirals(n: int = 200, noise: float = 0.1, turns: float = 1.5, seed: int = 0):
    """Two interleaved spirals: X (n, 2), y (n,) in {0, 1}. Not linearly separable."""
    rng = np.random.default_rng(seed)
    k = n // 2
    t = np.sqrt(rng.uniform(0, 1, n - k)) * turns * 2 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (turns * 2 * np.pi)
    X = np.concatenate([arm, -arm[:k]]) + noise * rng.standard_normal((n, 2)) / 4
    y = np.concatenate([np.zeros(n - k, int), np.ones(k, int)])
    return X, y


def moons(n: int = 200, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (as scikit-learn's make_moons): X (n, 2), y (n,) in {0, 1}."""
    rng = np.random.default_rng(seed)
    k = n // 2
    t = rng.uniform(0, np.pi, n - k), rng.uniform(0, np.pi, k)
    upper = np.stack([np.cos(t[0]), np.sin(t[0])], axis=1)
    lower = np.stack([1 - np.cos(t[1]), 0.5 - np.sin(t[1])], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.concatenate([np.zeros(n - k, int), np.ones(k, int)])
    return X, y


TARGETS = {
    "sin": lambda x: np.sin(2 * np.pi * x),
    "bump": lambda x: np.exp(-40 * (x - 0.5) ** 2),
    "step": lambda x: (x > 0.5).astype(float),
    "abs": lambda x: np.abs(2 * x - 1),
    "wiggle": lambda x: np.sin(2 * np.pi * x) + 0.3 * np.sin(10 * np.pi * x),
}


def target_1d(
    name: str = "sin", n: int = 200, noise: float = 0.0, seed: int = 0, grid: bool = False
):
    """Samples of a 1-D target on [0, 1]: x (n, 1), y (n, 1). `grid=True` gives evenly spaced x."""
    if name not in TARGETS:
        raise ValueError(f"unknown target {name!r}; choose one of {sorted(TARGETS)}")
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, n) if grid else np.sort(rng.uniform(0, 1, n))
    y = TARGETS[name](x) + noise * rng.standard_normal(n)
    return x[:, None], y[:, None]
