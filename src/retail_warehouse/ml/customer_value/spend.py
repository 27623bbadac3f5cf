"""Customer value: net revenue in the next H days (regressions against three simple baselines:
zero, the training mean and past spend over at least H days), and 12-month value from BG/NBD or
MBG/NBD + Gamma-Gamma (btyd.py)."""

from __future__ import annotations

import lightgbm
import numpy as np
import pandas as pd
from sklearn.compose import TransformedTargetRegressor
from sklearn.linear_model import Lasso, LinearRegression, Ridge
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline, make_union
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from retail_warehouse.ml.customer_value.btyd import (
    BetaGeometricNBD,
    GammaGamma,
    ModifiedBetaGeometricNBD,
    expected_value,
    rfm_summary,
    value_intervals,
)
from retail_warehouse.ml.customer_value.churn import LIGHTGBM_SETTINGS, signed_log1p
from retail_warehouse.ml.customer_value.labels import FEATURES, seeded_sample
from retail_warehouse.ml.customer_value.neural_spend import TorchRegressor

BASELINE = "past_daily_spend_baseline"
ZERO_BASELINE = "zero_baseline"
MEAN_BASELINE = "training_mean_baseline"
BASELINES = (ZERO_BASELINE, MEAN_BASELINE, BASELINE)
PROBABILISTIC = "bgnbd_gamma_gamma"
CHALLENGER = "mbgnbd_gamma_gamma"
# The transaction model behind each probabilistic model name.
TRANSACTION_MODELS = {PROBABILISTIC: BetaGeometricNBD, CHALLENGER: ModifiedBetaGeometricNBD}
REGRESSORS = ("linear_regression", "ridge", "lasso", "lightgbm", "mlp")
# The PyTorch regressor (neural_spend.py), compared beside them unless var ml_neural is false.
NEURAL_REGRESSOR = "torch_mlp"
CLV_DAYS = 365
# Parameter draws of the parametric bootstrap behind the value intervals.
INTERVAL_DRAWS = 200
# The MLP is the slowest learner per row: it is fitted on a seeded sample this large at most.
MLP_MAX_ROWS = 20_000


def baseline_spend(rows: pd.DataFrame, days: float) -> np.ndarray:
    """Past spend over at least `days` days, scaled to `days`: net revenue to date / max(days
    since the first order, days) x days, floored at 0. A customer younger than the horizon is
    predicted their spend to date: dividing by a short tenure would extrapolate one order to
    every day of the horizon (a one-day-old customer: spend x 180)."""
    tenure = rows["tenure_days"].to_numpy(dtype=float)
    monetary = np.clip(rows["monetary"].to_numpy(dtype=float), 0.0, None)
    return monetary / np.maximum(tenure, days) * days


def mean_daily_spend(reference: pd.DataFrame) -> float | None:
    """The mean spend per day of the labelled reference rows (spend_next over horizon_days):
    what the training-mean baseline predicts per day. None without rows."""
    if reference.empty:
        return None
    return float((reference["spend_next"] / reference["horizon_days"]).mean())


def baseline_prediction(name: str, rows: pd.DataFrame, days: float, daily_mean: float | None) -> np.ndarray | None:
    """The spend in the next `days` days of one baseline: zero, the training mean (daily_mean x
    days; None when there is no training row) or past spend over at least `days` days."""
    if name == ZERO_BASELINE:
        return np.zeros(len(rows))
    if name == MEAN_BASELINE:
        return None if daily_mean is None else np.full(len(rows), daily_mean * days)
    if name == BASELINE:
        return baseline_spend(rows, days)
    raise ValueError(f"unknown baseline {name}")


def choose_baseline(examples: pd.DataFrame, cutoff: pd.Timestamp | None) -> str:
    """The baseline with the lowest RMSE on the labelled rows at `cutoff` (an earlier cutoff
    than the one reported on), the training mean taken over the rows whose outcome window closed
    by then. Past spend when there is no such cutoff. Ties go to the simplest (zero first)."""
    rows = examples[examples["as_of_date"] == cutoff] if cutoff is not None else examples.iloc[:0]
    if rows.empty:
        return BASELINE
    closed = examples[
        examples["as_of_date"] + pd.to_timedelta(examples["horizon_days"].astype(int), unit="D") <= cutoff
    ]
    actual = rows["spend_next"].to_numpy(dtype=float)
    horizon = float(rows["horizon_days"].iloc[0])
    errors = {}
    for name in BASELINES:
        predicted = baseline_prediction(name, rows, horizon, mean_daily_spend(closed))
        if predicted is not None:
            errors[name] = float(np.sqrt(np.mean((predicted - actual) ** 2)))
    return min(BASELINES, key=lambda name: (errors.get(name, np.inf), BASELINES.index(name)))


def regressors(neural: bool) -> tuple[str, ...]:
    """The regressors compared: the PyTorch one too when var ml_neural is true."""
    return (*REGRESSORS, NEURAL_REGRESSOR) if neural else REGRESSORS


def make_regressor(name: str, seed: int):
    """Linear models and the networks see each feature raw and log-compressed, standardised
    (spend is roughly linear in past spend, while counts and recency act on a log scale); the
    networks learn the standardised target."""
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
    if name == NEURAL_REGRESSOR:
        return TransformedTargetRegressor(
            regressor=make_pipeline(features, TorchRegressor(seed=seed)), transformer=StandardScaler()
        )
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


def fit_probabilistic_models(orders: pd.DataFrame, cutoff: pd.Timestamp, names=tuple(TRANSACTION_MODELS)) -> dict:
    """{name: (summary, transaction model, Gamma-Gamma)} for each transaction model `name`
    (BG/NBD, MBG/NBD) fitted on the sale orders before the cutoff, sharing the customers'
    summary and one Gamma-Gamma fit; empty when there are no repeat purchases to learn from."""
    if cutoff is None:
        return {}
    return fit_summary_models(rfm_summary(orders, cutoff), names)


def fit_summary_models(summary: pd.DataFrame, names=tuple(TRANSACTION_MODELS)) -> dict:
    """fit_probabilistic_models from the customers' summary at the cutoff (btyd.rfm_summary's
    columns, one row per customer, by customer_key; history.RelationHistory.summary computes it
    in DuckDB): the orders themselves are not needed to fit."""
    repeaters = (summary["frequency"] > 0) & (summary["repeat_mean_value"] > 0)
    if len(summary) < 2 or repeaters.sum() < 2:
        return {}
    spend = GammaGamma.fit(summary["frequency"], summary["repeat_mean_value"])
    return {
        name: (summary, TRANSACTION_MODELS[name].fit(summary["frequency"], summary["recency"], summary["age"]), spend)
        for name in names
    }


def fit_probabilistic(orders: pd.DataFrame, cutoff: pd.Timestamp, name: str = PROBABILISTIC):
    """One transaction model + Gamma-Gamma (fit_probabilistic_models); None when there are no
    repeat purchases to learn from."""
    return fit_probabilistic_models(orders, cutoff, (name,)).get(name)


def fit_summary(summary: pd.DataFrame, name: str = PROBABILISTIC):
    """fit_probabilistic from the customers' summary at the cutoff (fit_summary_models)."""
    return fit_summary_models(summary, (name,)).get(name)


def probabilistic_value(fitted, customer_keys, days: float) -> np.ndarray:
    """Expected net revenue in the next `days` days for the given customers (0 when unknown)."""
    summary, transactions, spend = fitted
    values = pd.Series(expected_value(summary, days, transactions, spend), index=summary["customer_key"])
    return values.reindex(pd.Index(customer_keys)).fillna(0.0).clip(lower=0).to_numpy(dtype=float)


def fit_problem(fitted) -> str | None:
    """Why a probabilistic fit should not be shown (btyd.FitDiagnostics), None when it passes."""
    _, transactions, purchase_value = fitted
    problems = [
        f"{label}: {model.diagnostics.reason}"
        for label, model in (("transactions", transactions), ("Gamma-Gamma", purchase_value))
        if model.diagnostics is not None and model.diagnostics.is_degenerate
    ]
    return "; ".join(problems) or None


def probabilistic_intervals(fitted, customer_keys, days: float, seed: int):
    """{level: (lower, upper)} of each given customer's expected value in the next `days` days
    (btyd.value_intervals; 0 for a customer without orders before the cutoff) and
    {level: (lower, upper)} of the total over the given customers; (None, None) when the fit
    has a problem (fit_problem: draws around a boundary or a singular Hessian mean nothing)."""
    if fit_problem(fitted) is not None:
        return None, None
    summary, transactions, purchase_value = fitted
    keys = pd.Index(customer_keys)
    known = summary[summary["customer_key"].isin(keys)].reset_index(drop=True)
    intervals = value_intervals(known, days, transactions, purchase_value, INTERVAL_DRAWS, seed)
    if intervals is None:
        return None, None
    customers = {
        level: tuple(
            pd.Series(bound, index=known["customer_key"]).reindex(keys).fillna(0.0).to_numpy(dtype=float)
            for bound in bounds
        )
        for level, bounds in intervals.customers.items()
    }
    return customers, intervals.store_total
