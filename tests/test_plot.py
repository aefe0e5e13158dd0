import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.contour import QuadContourSet  # noqa: E402

from utils.toy_data import blobs  # noqa: E402
from utils.plot import STYLE, decision_boundary, loss_curve, use_style  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture
def data():
    return blobs(n=40, margin=0.3, seed=0)


def _parts(ax):
    contours = [c for c in ax.collections if isinstance(c, QuadContourSet)]
    scatters = [c for c in ax.collections if isinstance(c, PathCollection)]
    return contours, scatters


def _check_scatter(ax, X, y):
    _, scatters = _parts(ax)
    assert len(scatters) == len(np.unique(y))
    plotted = np.concatenate([s.get_offsets() for s in scatters])
    assert plotted.shape == X.shape
    # every point is drawn exactly once
    np.testing.assert_allclose(np.sort(plotted, axis=0), np.sort(X, axis=0))


def test_decision_boundary_numpy_callable(data):
    X, y, w = data
    fig, ax = plt.subplots()
    out = decision_boundary(lambda g: g @ w, X, y, ax=ax, title="perceptron", resolution=50)
    assert out is ax
    contours, _ = _parts(ax)
    assert len(contours) == 2, "filled regions plus the zero-level line"
    assert any(list(c.levels) == [0] for c in contours)
    _check_scatter(ax, X, y)
    assert ax.get_title() == "perceptron"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["y = -1", "y = 1"]
    lo, hi = X.min(0) - 0.5, X.max(0) + 0.5
    np.testing.assert_allclose(ax.get_xlim(), (lo[0], hi[0]))
    np.testing.assert_allclose(ax.get_ylim(), (lo[1], hi[1]))


def test_decision_boundary_torch_callable_and_tensors(data):
    X, y, w = data
    w_t = torch.tensor(w, requires_grad=True)  # output needs detach before numpy
    seen = []

    def predict(g):
        seen.append(g.shape)
        return torch.as_tensor(g) @ w_t

    ax = decision_boundary(predict, torch.tensor(X), torch.tensor(y), resolution=30)
    assert seen == [(30 * 30, 2)]
    contours, _ = _parts(ax)
    assert len(contours) == 2
    _check_scatter(ax, X, y)


def test_decision_boundary_torch_module(data):
    X, y, w = data
    model = torch.nn.Linear(2, 1)  # float32 parameters, (N, 1) output
    with torch.no_grad():
        model.weight.copy_(torch.tensor(w[None], dtype=torch.float32))
        model.bias.zero_()
    ax = decision_boundary(model, X, y, resolution=30)
    contours, _ = _parts(ax)
    assert len(contours) == 2
    _check_scatter(ax, X, y)


def test_decision_boundary_shades_where_score_positive(data):
    X, y, w = data
    fig, ax = plt.subplots()
    captured = {}
    real = ax.contourf

    def spy(g0, g1, z, **kw):
        captured.update(g0=g0, g1=g1, z=z)
        return real(g0, g1, z, **kw)

    ax.contourf = spy
    decision_boundary(lambda g: g @ w - 0.2, X, y, ax=ax, resolution=25)
    g0, g1, z = captured["g0"], captured["g1"], captured["z"]
    assert g0.shape == g1.shape == z.shape == (25, 25)
    np.testing.assert_array_equal(z, (g0 * w[0] + g1 * w[1] - 0.2) > 0)
    assert z.any() and not z.all()


def test_decision_boundary_no_line_when_one_sided(data):
    X, y, _ = data
    ax = decision_boundary(lambda g: np.ones(len(g)), X, y, resolution=20)
    contours, _ = _parts(ax)
    assert len(contours) == 1, "no zero crossing, so only the filled region"


@pytest.mark.parametrize("bad", [np.zeros((5, 3)), np.zeros(5), np.zeros((2, 5, 2))])
def test_decision_boundary_rejects_non_2d_points(bad):
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        decision_boundary(lambda g: g[:, 0], bad, np.zeros(len(bad)))


def test_loss_curve_list():
    values = [3.0, 2.0, 1.5, 1.2]
    fig, ax = plt.subplots()
    out = loss_curve(values, ax=ax)
    assert out is ax
    (line,) = ax.get_lines()
    np.testing.assert_array_equal(line.get_xdata(), [1, 2, 3, 4])
    np.testing.assert_array_equal(line.get_ydata(), values)
    assert ax.get_title() == "Training loss"
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "loss"
    assert ax.get_legend() is None, "a single unnamed curve needs no legend"
    assert ax.get_yscale() == "linear"


def test_loss_curve_list_with_label_and_tensor_values():
    ax = loss_curve(torch.tensor([1.0, 0.5]), label="train")
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_ydata(), [1.0, 0.5])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train"]


def test_loss_curve_dict_labels_and_axes():
    history = {"train": [1.0, 0.5, 0.25], "test": [1.2, 0.9]}
    ax = loss_curve(history, title="Loss", xlabel="epoch", ylabel="MSE")
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == ["train", "test"]
    np.testing.assert_array_equal(lines[1].get_xdata(), [1, 2])
    np.testing.assert_array_equal(lines[1].get_ydata(), [1.2, 0.9])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["train", "test"]
    assert (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) == ("Loss", "epoch", "MSE")


def test_loss_curve_logy():
    ax = loss_curve([10.0, 1.0, 0.1], logy=True)
    assert ax.get_yscale() == "log"


def test_use_style_updates_rcparams():
    with matplotlib.rc_context():
        plt.rcParams["font.size"] = 7
        use_style()
        for key, value in STYLE.items():
            current = plt.rcParams[key]
            if isinstance(value, tuple):
                assert tuple(current) == value
            else:
                assert current == value
