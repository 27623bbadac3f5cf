"""Customer value: net revenue in the next H days (regressions against the naive "past daily
spend x H"), and 12-month value from BG/NBD + Gamma-Gamma (btyd.py)."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from retail_warehouse.ml.customer_value.btyd import BetaGeometricNBD, GammaGamma, expected_value, rfm_summary
from retail_warehouse.ml.customer_value.churn import LIGHTGBM_SETTINGS, signed_log1p
from retail_warehouse.ml.customer_value.labels import FEATURES, seeded_sample

BASELINE = "past_daily_spend_baseline"
PROBABILISTIC = "bgnbd_gamma_gamma"
REGRESSORS = ("linear_regression", "ridge", "lasso", "lightgbm", "mlp")
CLV_DAYS = 365
# The MLP is the slowest learner per row: it is fitted on a seeded sample this large at most.
MLP_MAX_ROWS = 20_000


def baseline_spend(rows: pd.DataFrame, days: float) -> np.ndarray:
    """Past daily spend x days: net revenue to date / days since the first order."""
    tenure = rows["tenure_days"].to_numpy(dtype=float)
    return np.where(tenure > 0, rows["monetary"].to_numpy(dtype=float) / np.maximum(tenure, 1) * days, 0.0)


def make_regressor(name: str, seed: int):
    """Linear models and the MLP see each feature raw and log-compressed, standardised (spend
    is roughly linear in past spend, while counts and recency act on a log scale)."""
    features = make_union(StandardScaler(), make_pipeline(FunctionTransformer(signed_log1p), StandardScaler()))
    if name == "linear_regression":
        return make_pipeline(features, LinearRegression())
    if name == "ridge":
        return make_pipeline(features, Ridge(alpha=10.0))
    if name == "lasso":
        return make_pipeline(features, Lasso(alpha=1.0, max_iter=20_000))
    if name == "lightgbm":
        return lightgbm.LGBMRegressor(n_estimators=300, random_state=seed, **LIGHTGBM_SETTINGS)
    if name == "mlp":
        network = MLPRegressor(
            hidden_layer_sizes=(32, 16),
            alpha=1e-3,
            learning_rate_init=1e-3,
            max_iter=200,
            early_stopping=True,
            n_iter_no_change=10,
            random_state=seed,
        )
        return TransformedTargetRegressor(regressor=make_pipeline(features, network), transformer=StandardScaler())
    raise ValueError(f"unknown regressor {name}")


def fitted_row_cap(name: str, max_rows: int) -> int:
    """The most training rows a regressor is fitted on (the MLP: at most MLP_MAX_ROWS)."""
    return min(max_rows, MLP_MAX_ROWS) if name == "mlp" else max_rows


def fit_regressor(name: str, rows: pd.DataFrame, seed: int, max_rows: int):
    """Fits one regressor of spend_next on a seeded sample of at most fitted_row_cap rows;
    None with fewer than 2 rows."""
    sample = seeded_sample(rows, fitted_row_cap(name, max_rows), seed)
    if len(sample) < 2:
        return None
    model = make_regressor(name, seed)
    model.fit(sample[list(FEATURES)], sample["spend_next"].to_numpy(dtype=float))
    return model


def predict_spend(model, rows: pd.DataFrame) -> np.ndarray:
    """Predicted spend, floored at 0 (a customer cannot be expected to spend less than nothing)."""
    if len(rows) == 0:
        return np.array([], dtype=float)
    return np.clip(model.predict(rows[list(FEATURES)]).astype(float), 0.0, None)


def fit_probabilistic(orders: pd.DataFrame, cutoff: pd.Timestamp):
    """BG/NBD and Gamma-Gamma fitted on the sale orders before the cutoff, with the customers'
    summary; None when there are no repeat purchases to learn from."""
    summary = rfm_summary(orders, cutoff)
    repeaters = (summary["frequency"] > 0) & (summary["repeat_mean_value"] > 0)
    if len(summary) < 2 or repeaters.sum() < 2:
        return None
    transactions = BetaGeometricNBD.fit(summary["frequency"], summary["recency"], summary["age"])
    spend = GammaGamma.fit(summary["frequency"], summary["repeat_mean_value"])
    return summary, transactions, spend


def probabilistic_value(fitted, customer_keys, days: float) -> np.ndarray:
    """Expected net revenue in the next `days` days for the given customers (0 when unknown)."""
    summary, transactions, spend = fitted
    values = pd.Series(expected_value(summary, days, transactions, spend), index=summary["customer_key"])
    return values.reindex(pd.Index(customer_keys)).fillna(0.0).clip(lower=0).to_numpy(dtype=float)
