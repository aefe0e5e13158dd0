import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from utils.toy_data import blobs
from utils.training import batches, train


def _data(n=64):
    X, y, _ = blobs(n=n, margin=0.5, seed=0)
    return torch.tensor(X, dtype=torch.float32), torch.tensor((y + 1) // 2, dtype=torch.float32)[
        :, None
    ]


def _run(seed=0, epochs=15, model_seed=0, **kw):
    X, y = _data()
    torch.manual_seed(model_seed)
    model = torch.nn.Linear(2, 1)
    history = train(
        model,
        torch.nn.BCEWithLogitsLoss(),
        X,
        y,
        epochs=epochs,
        lr=0.5,
        batch_size=16,
        seed=seed,
        progress=False,
        **kw,
    )
    return model, history, X, y


def test_train_decreases_loss_and_separates():
    model, history, X, y = _run()
    assert len(history) == 15
    assert all(isinstance(h, float) for h in history)
    assert history[-1] < history[0] * 0.5
    with torch.no_grad():
        accuracy = ((model(X) > 0).float() == y).float().mean().item()
    assert accuracy >= 0.95


@pytest.mark.parametrize("epochs", [1, 3, 7])
def test_history_length_equals_epochs(epochs):
    _, history, _, _ = _run(epochs=epochs)
    assert len(history) == epochs


def test_history_is_mean_loss_over_epoch():
    X, y = _data(n=10)
    model = torch.nn.Linear(2, 1)
    # lr=0 leaves the model unchanged, so each epoch's mean equals the full-batch loss
    history = train(model, torch.nn.MSELoss(), X, y, epochs=2, lr=0.0, batch_size=3, progress=False)
    with torch.no_grad():
        full = torch.nn.MSELoss()(model(X), y).item()
    assert history == pytest.approx([full, full], rel=1e-5)


def test_train_reproducible_with_same_seed():
    m1, h1, _, _ = _run(seed=3)
    m2, h2, _, _ = _run(seed=3)
    assert h1 == h2
    for p, q in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(p, q)


def test_train_different_seed_changes_order():
    _, h1, _, _ = _run(seed=3)
    _, h2, _, _ = _run(seed=4)
    assert h1 != h2


def test_train_uses_given_optimizer():
    X, y = _data()
    model = torch.nn.Linear(2, 1)
    before = [p.detach().clone() for p in model.parameters()]
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)
    train(
        model,
        torch.nn.BCEWithLogitsLoss(),
        X,
        y,
        epochs=2,
        lr=10.0,
        optimizer=frozen,
        progress=False,
    )
    for p, q in zip(model.parameters(), before):
        assert torch.equal(p, q), "lr argument must be ignored when an optimizer is passed"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(y=torch.zeros(5, 1)), "same length"),
        (dict(epochs=0), "positive"),
        (dict(batch_size=0), "positive"),
    ],
)
def test_train_bad_args(kwargs, match):
    X, y = _data(n=8)
    args = dict(X=X, y=y, epochs=1, batch_size=4) | kwargs
    with pytest.raises(ValueError, match=match):
        train(torch.nn.Linear(2, 1), torch.nn.MSELoss(), progress=False, **args)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 60), batch_size=st.integers(1, 70), seed=st.integers(0, 1000))
def test_batches_cover_every_index_once(n, batch_size, seed):
    X = torch.arange(n)
    y = 10 * torch.arange(n)
    out = list(batches(X, y, batch_size, torch.Generator().manual_seed(seed)))
    assert [len(xb) for xb, _ in out] == [min(batch_size, n - i) for i in range(0, n, batch_size)]
    xs = torch.cat([xb for xb, _ in out])
    ys = torch.cat([yb for _, yb in out])
    assert sorted(xs.tolist()) == list(range(n))
    assert torch.equal(ys, 10 * xs), "X and y rows stay paired"


def test_batches_shuffle_reproducible_with_generator():
    X = torch.arange(50)
    order = lambda seed: torch.cat(
        [xb for xb, _ in batches(X, X, 8, torch.Generator().manual_seed(seed))]
    )
    assert torch.equal(order(1), order(1))
    assert not torch.equal(order(1), order(2))
    assert not torch.equal(order(1), X), "data are shuffled"
