"""A small training loop with a progress bar, for notebooks that have already written their own."""

import torch
from tqdm.auto import tqdm


def batches(X, y, batch_size, generator=None):
    """Yield shuffled (X_b, y_b) minibatches covering the data once."""
    order = torch.randperm(len(X), generator=generator)
    for i in range(0, len(X), batch_size):
        idx = order[i : i + batch_size]
        yield X[idx], y[idx]


def train(
    model, loss_fn, X, y, epochs=10, lr=0.1, batch_size=32, optimizer=None, seed=0, progress=True
):
    """Minibatch training of `model` on tensors (X, y); returns the mean loss of each epoch.

    `optimizer` defaults to SGD with learning rate `lr`. The bar shows the latest epoch loss.
    """
    if len(X) != len(y):
        raise ValueError(f"X and y must have the same length, got {len(X)} and {len(y)}")
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}")
    optimizer = optimizer or torch.optim.SGD(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    history = []
    bar = tqdm(range(epochs), desc="training", disable=not progress, leave=False)
    for _ in bar:
        total, count = 0.0, 0
        for xb, yb in batches(X, y, batch_size, generator):
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, count = total + loss.item() * len(xb), count + len(xb)
        history.append(total / count)
        bar.set_postfix(loss=f"{history[-1]:.4f}")
    return history
