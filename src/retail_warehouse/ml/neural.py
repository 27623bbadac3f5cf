"""PyTorch (CPU build, pinned in requirements.lock) for the neural models of every area (the
var ml_neural turns them off: common.neural_enabled): a deterministic context (seeded, one thread, deterministic
algorithms, so two builds give identical tables) and one small training loop with early
stopping on a validation split."""

from __future__ import annotations

import copy
from contextlib import contextmanager

import numpy as np
import torch


@contextmanager
def deterministic_torch(seed: int):
    """torch seeded with `seed`, on one thread, with deterministic algorithms only; the
    thread count and the deterministic flag are restored on exit."""
    threads = torch.get_num_threads()
    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(seed)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(deterministic)


def train_full_batch(
    module,
    loss_of,
    *,
    max_epochs: int,
    patience: int,
    learning_rate: float,
) -> tuple[int, float]:
    """Adam on the full batch: loss_of(module, 'train' | 'validation') gives the loss tensor of
    that split. Stops when the validation loss has not improved for `patience` epochs and
    restores the weights of its best epoch. Returns (epochs run, best validation loss)."""
    optimiser = torch.optim.Adam(module.parameters(), lr=learning_rate)
    best_loss, best_state, since_best, epochs = np.inf, copy.deepcopy(module.state_dict()), 0, 0
    while epochs < max_epochs:
        epochs += 1
        module.train()
        optimiser.zero_grad()
        loss_of(module, "train").backward()
        optimiser.step()
        module.eval()
        with torch.no_grad():
            validation = float(loss_of(module, "validation"))
        if validation < best_loss - 1e-6:
            best_loss, best_state, since_best = validation, copy.deepcopy(module.state_dict()), 0
        else:
            since_best += 1
            if since_best >= patience:
                break
    module.load_state_dict(best_state)
    module.eval()
    return epochs, float(best_loss)
