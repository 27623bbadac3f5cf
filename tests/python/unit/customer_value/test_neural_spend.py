"""The PyTorch regressor of the customer value comparison (torch_mlp) on a planted pattern."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml.customer_value import spend
from retail_warehouse.ml.customer_value.labels import FEATURES


def planted_rows(n: int, seed: int) -> pd.DataFrame:
    """Labelled-like rows: spend in the next H days is a non-linear function of recency and
    frequency (recent repeat buyers spend, the rest almost nothing) plus noise."""
    rng = np.random.default_rng(seed)
    rows = pd.DataFrame({feature: rng.gamma(2.0, 10.0, n) for feature in FEATURES})
    rows["customer_key"] = [f"s:{seed}:{i:05d}" for i in range(n)]
    rows["as_of_date"] = pd.Timestamp("2011-06-01")
    recent = np.exp(-rows["recency_days"] / 15.0)
    rows["spend_next"] = 200.0 * recent * np.log1p(rows["frequency"]) + rng.normal(0.0, 2.0, n)
    return rows


def rmse(actual, predicted) -> float:
    return float(np.sqrt(np.mean((np.asarray(actual) - np.asarray(predicted)) ** 2)))


def test_the_neural_regressor_learns_a_planted_pattern_and_is_deterministic():
    training, validation = planted_rows(3000, seed=1), planted_rows(1000, seed=2)
    fitted = spend.fit_regressor(spend.NEURAL_REGRESSOR, training, seed=42, max_rows=60_000)
    predicted = spend.predict_spend(fitted, validation)
    actual = validation["spend_next"]
    mean_error = rmse(actual, np.full(len(actual), training["spend_next"].mean()))
    linear = spend.predict_spend(spend.fit_regressor("linear_regression", training, 42, 60_000), validation)
    # The pattern is learnt: far below the training mean and below a linear model of the same features.
    assert rmse(actual, predicted) < 0.35 * mean_error
    assert rmse(actual, predicted) < 0.8 * rmse(actual, linear)
    again = spend.predict_spend(spend.fit_regressor(spend.NEURAL_REGRESSOR, training, 42, 60_000), validation)
    np.testing.assert_array_equal(predicted, again)


def test_the_neural_regressor_is_compared_only_when_var_ml_neural_is_true():
    assert spend.NEURAL_REGRESSOR in spend.regressors(True)
    assert spend.regressors(False) == spend.REGRESSORS
    assert spend.NEURAL_REGRESSOR not in spend.REGRESSORS
