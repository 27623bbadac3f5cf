"""The neural regressor of the customer value comparison (torch_mlp): a small PyTorch network
(two ReLU layers) of the standardised features, trained full batch with Adam on mean squared
error, early-stopped on every fifth training row (neural.train_full_batch). Seeded, one
thread, deterministic algorithms (neural.deterministic_torch): two builds give the same
predictions. A scikit-learn regressor, so it takes the same feature pipeline, target scaling,
sample and folds as the other regressors (spend.make_regressor)."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, RegressorMixin

from retail_warehouse.ml.neural import deterministic_torch, train_full_batch

# Every VALIDATION_EVERY-th training row is held out for early stopping.
VALIDATION_EVERY = 5


class TorchRegressor(RegressorMixin, BaseEstimator):
    """y ~ network(X): Linear(n, h1) - ReLU - Linear(h1, h2) - ReLU - Linear(h2, 1)."""

    def __init__(
        self,
        hidden: tuple[int, int] = (32, 16),
        max_epochs: int = 500,
        patience: int = 25,
        learning_rate: float = 0.01,
        seed: int = 0,
    ):
        self.hidden = hidden
        self.max_epochs = max_epochs
        self.patience = patience
        self.learning_rate = learning_rate
        self.seed = seed

    def fit(self, features, target):
        matrix = np.asarray(features, dtype=np.float32)
        values = np.asarray(target, dtype=np.float32).reshape(-1, 1)
        held_out = np.arange(len(matrix)) % VALIDATION_EVERY == VALIDATION_EVERY - 1
        with deterministic_torch(self.seed):
            first, second = self.hidden
            self.network_ = torch.nn.Sequential(
                torch.nn.Linear(matrix.shape[1], first),
                torch.nn.ReLU(),
                torch.nn.Linear(first, second),
                torch.nn.ReLU(),
                torch.nn.Linear(second, 1),
            )
            # Below VALIDATION_EVERY rows nothing is held out: the training rows stop the training.
            validation = held_out if held_out.any() else ~held_out
            splits = {
                name: (torch.from_numpy(matrix[rows]), torch.from_numpy(values[rows]))
                for name, rows in (("train", ~held_out), ("validation", validation))
            }

            def loss_of(module, split):
                inputs, outputs = splits[split]
                return torch.mean((module(inputs) - outputs) ** 2)

            self.epochs_, self.validation_loss_ = train_full_batch(
                self.network_,
                loss_of,
                max_epochs=self.max_epochs,
                patience=self.patience,
                learning_rate=self.learning_rate,
            )
        return self

    def predict(self, features):
        with deterministic_torch(self.seed), torch.no_grad():
            inputs = torch.from_numpy(np.asarray(features, dtype=np.float32))
            return self.network_(inputs).numpy().ravel().astype(float)
