"""LSTM and GRU daily-demand forecasts (PyTorch, CPU): a small recurrent network reads the last
WINDOW_SEASONS weeks of the open-day sequence (each day's standardised value and its position
in the weekly season as sine / cosine) and predicts the next day; the forecast runs it
recursively, each prediction fed back as the next input. Trained full batch with Adam on the
older windows (at most MAX_WINDOWS), early-stopped on the most recent VALIDATION_SHARE of them; seeded, one thread,
deterministic (neural.deterministic_torch). Intervals are normal, from the validation
one-step errors, widening with every further season ahead like the seasonal naive's (the
backtest calibrates them anyway)."""

from __future__ import annotations

import numpy as np
import torch

from retail_warehouse.ml.neural import deterministic_torch, train_full_batch

LSTM = "lstm"
GRU = "gru"
WINDOW_SEASONS = 2
HIDDEN_UNITS = 16
MAX_EPOCHS = 60
PATIENCE = 8
LEARNING_RATE = 0.03
VALIDATION_SHARE = 0.2
# Fewer training windows than this: the network is not fitted (the series is too short).
MIN_WINDOWS = 20
# At most the most recent this many windows (about a year of open days) are trained on: the
# cost of an epoch grows with them, and older years add little to a weekly pattern.
MAX_WINDOWS = 250


def _features(z: np.ndarray, positions: np.ndarray, season_length: int) -> np.ndarray:
    angle = 2 * np.pi * (positions % season_length) / season_length
    return np.stack([z, np.sin(angle), np.cos(angle)], axis=-1)


def recurrent_forecast(y: np.ndarray, steps: int, season_length: int, seed: int, cell: str):
    """(point, sigma) of the next `steps` open days after y from a `cell` ('lstm' or 'gru')
    network; ValueError when y gives fewer than MIN_WINDOWS windows."""
    window = WINDOW_SEASONS * season_length
    n_windows = len(y) - window
    if n_windows < MIN_WINDOWS:
        raise ValueError(f"{len(y)} training days give {max(n_windows, 0)} windows, fewer than {MIN_WINDOWS}")
    mean = float(np.mean(y))
    std = float(np.std(y)) or 1.0
    z = (y.astype(float) - mean) / std
    features = _features(z, np.arange(len(y)), season_length).astype(np.float32)
    starts = range(max(0, n_windows - MAX_WINDOWS), n_windows)
    inputs = np.stack([features[start : start + window] for start in starts])
    targets = z[window + starts.start :].astype(np.float32)
    n_windows = len(starts)
    n_validation = max(1, round(VALIDATION_SHARE * n_windows))
    with deterministic_torch(seed):
        network = Network(cell)
        x = torch.from_numpy(inputs)
        t = torch.from_numpy(targets)
        splits = {"train": slice(0, n_windows - n_validation), "validation": slice(n_windows - n_validation, None)}

        def loss_of(module, split):
            return torch.mean((module(x[splits[split]]) - t[splits[split]]) ** 2)

        train_full_batch(network, loss_of, max_epochs=MAX_EPOCHS, patience=PATIENCE, learning_rate=LEARNING_RATE)
        with torch.no_grad():
            residuals = (network(x[splits["validation"]]) - t[splits["validation"]]).numpy()
            history = list(z)
            predictions = []
            for step in range(steps):
                position = len(y) + step
                recent = np.asarray(history[-window:])
                step_input = _features(recent, np.arange(position - window, position), season_length)
                value = float(network(torch.from_numpy(step_input.astype(np.float32))[None])[0])
                predictions.append(value)
                history.append(value)
    point = mean + std * np.asarray(predictions)
    sigma = std * float(np.sqrt(np.mean(residuals.astype(float) ** 2)))
    seasons_ahead = np.arange(steps) // season_length
    return point, sigma * np.sqrt(seasons_ahead + 1)


class Network(torch.nn.Module):
    """A one-layer LSTM / GRU and a linear read-out of its last state."""

    def __init__(self, cell: str):
        super().__init__()
        recurrent = {LSTM: torch.nn.LSTM, GRU: torch.nn.GRU}[cell]
        self.recurrent = recurrent(input_size=3, hidden_size=HIDDEN_UNITS, batch_first=True)
        self.read_out = torch.nn.Linear(HIDDEN_UNITS, 1)

    def forward(self, inputs):
        states, _ = self.recurrent(inputs)
        return self.read_out(states[:, -1]).squeeze(-1)
