"""The anomaly detectors' autoencoder in PyTorch (CPU): a small tanh network squeezes the
standardised features of an order or customer through a bottleneck of a third of them and
reconstructs them; trained full batch with Adam on a sample, early-stopped on every fifth
sampled row, and the mean squared reconstruction error of a row is its score. Seeded, one
thread, deterministic (neural.deterministic_torch)."""

from __future__ import annotations

import numpy as np
import torch

from retail_warehouse.ml.neural import deterministic_torch, train_full_batch

MAX_EPOCHS = 400
PATIENCE = 20
LEARNING_RATE = 0.01
# Every VALIDATION_EVERY-th training row is held out for early stopping.
VALIDATION_EVERY = 5


def train_autoencoder(matrix: np.ndarray, training_rows: np.ndarray, seed: int) -> torch.nn.Module:
    """An autoencoder trained on matrix[training_rows], in float64 for scoring (the caller
    rounds scores to 6 decimals: float32 noise would reach that digit)."""
    n_features = matrix.shape[1]
    bottleneck = max(2, n_features // 3)
    with deterministic_torch(seed):
        network = torch.nn.Sequential(
            torch.nn.Linear(n_features, 2 * bottleneck),
            torch.nn.Tanh(),
            torch.nn.Linear(2 * bottleneck, bottleneck),
            torch.nn.Tanh(),
            torch.nn.Linear(bottleneck, 2 * bottleneck),
            torch.nn.Tanh(),
            torch.nn.Linear(2 * bottleneck, n_features),
        )
        rows = torch.from_numpy(matrix[training_rows].astype(np.float32))
        held_out = np.arange(len(training_rows)) % VALIDATION_EVERY == VALIDATION_EVERY - 1
        splits = {"train": rows[torch.from_numpy(~held_out)], "validation": rows[torch.from_numpy(held_out)]}

        def loss_of(module, split):
            return torch.mean((module(splits[split]) - splits[split]) ** 2)

        train_full_batch(network, loss_of, max_epochs=MAX_EPOCHS, patience=PATIENCE, learning_rate=LEARNING_RATE)
    return network.double().eval()


def autoencoder_errors(network: torch.nn.Module, matrix: np.ndarray) -> np.ndarray:
    """Per row of `matrix`, the mean squared error of its reconstruction by `network` (one
    thread, float64)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            everything = torch.from_numpy(matrix.astype(np.float64))
            return torch.mean((network(everything) - everything) ** 2, dim=1).numpy()
    finally:
        torch.set_num_threads(threads)


def reconstruction_errors(matrix: np.ndarray, training_rows: np.ndarray, seed: int) -> np.ndarray:
    """Per row of `matrix`, the mean squared error of its reconstruction by an autoencoder
    trained on matrix[training_rows]."""
    return autoencoder_errors(train_autoencoder(matrix, training_rows, seed), matrix)
