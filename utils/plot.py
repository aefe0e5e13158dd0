"""Plots every notebook shares: a projector-readable style, decision boundaries, loss curves."""

import matplotlib.pyplot as plt
import numpy as np
import torch

from .checks import _as_array  # tensors and lists to numpy: one conversion for checks and plots

STYLE = {
    "figure.figsize": (7, 4.5),
    "figure.dpi": 100,
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 2,
    "legend.frameon": False,
}


def use_style():
    """Apply the course style (large fonts, light grid) to every later figure."""
    plt.rcParams.update(STYLE)


def decision_boundary(predict, X, y, ax=None, title=None, resolution=200, pad=0.5):
    """Shade where `predict` (grid of points (N, 2) -> scores (N,)) is positive; scatter X coloured
    by y.

    Scores are thresholded at 0, so pass a pre-activation, a signed score, or probability - 0.5.
    Works with numpy or torch callables. Returns the axes.
    """
    X, y = _as_array(X), _as_array(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D points, X of shape (n, 2); got {X.shape}")
    ax = ax or plt.gca()
    lo, hi = X.min(0) - pad, X.max(0) + pad
    g0, g1 = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    if isinstance(predict, torch.nn.Module):  # a model wants a tensor on its own device and dtype
        param = next(predict.parameters(), None)
        with torch.no_grad():
            scores = predict(
                torch.as_tensor(
                    grid,
                    dtype=param.dtype if param is not None else torch.float32,
                    device=param.device if param is not None else None,
                )
            )
    else:
        scores = predict(grid)
    scores = _as_array(scores).reshape(g0.shape).astype(float)
    ax.contourf(
        g0, g1, scores > 0, levels=[-0.5, 0.5, 1.5], colors=["#f4c7c3", "#c6dbef"], alpha=0.8
    )
    if np.nanmin(scores) < 0 < np.nanmax(scores):
        ax.contour(g0, g1, scores, levels=[0], colors="k", linewidths=1.5)
    for label, marker, colour in zip(
        np.unique(y), "os^v", ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"]
    ):
        pts = X[y == label]
        ax.scatter(
            pts[:, 0], pts[:, 1], marker=marker, c=colour, edgecolor="k", s=40, label=f"y = {label}"
        )
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="$x_1$", ylabel="$x_2$")
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax


def loss_curve(
    history, ax=None, label=None, title="Training loss", xlabel="step", ylabel="loss", logy=False
):
    """Plot a loss history (a list, or a dict name -> list for several curves). Returns the axes."""
    ax = ax or plt.gca()
    curves = history if isinstance(history, dict) else {label: history}
    for name, values in curves.items():
        ax.plot(np.arange(1, len(values) + 1), _as_array(values), label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if logy:
        ax.set_yscale("log")
    if any(name is not None for name in curves):
        ax.legend()
    return ax
