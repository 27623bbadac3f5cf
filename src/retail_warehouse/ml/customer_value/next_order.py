"""The expected date of each customer's next order and its out-of-time check: the transaction
model (the median wait of a customer who orders within the window H,
btyd.BetaGeometricNBD.median_days_to_next_purchase_within) against two baselines, the naive
rule "last order + the customer's median gap" and "the cutoff + the store's median wait
between orders". The baseline is chosen at an earlier cutoff than the one reported; the model
is served only when a seeded paired bootstrap puts its advantage over that baseline below 0."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import paired_difference_interval
from retail_warehouse.ml.customer_value.metrics import BOOTSTRAP_BATCH, BOOTSTRAP_RESAMPLES

MODEL = "transaction_model_median_wait"
NAIVE = "last_order_plus_median_gap"
STORE_WAIT = "store_median_wait"
BASELINES = (NAIVE, STORE_WAIT)
METHODS = (MODEL, *BASELINES)
# A wait past this many days is no date to show.
MAX_WAIT_DAYS = 36_500


def purchase_gaps(orders: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Per customer with a sale order before the cutoff: the last purchase day and the median
    gap in days between consecutive purchase days (NaN with a single purchase day)."""
    days = orders.loc[orders["order_date"] < cutoff, ["customer_key", "order_date"]].drop_duplicates()
    days = days.sort_values(["customer_key", "order_date"], kind="mergesort")
    days["gap_days"] = days.groupby("customer_key")["order_date"].diff().dt.days
    return (
        days.groupby("customer_key", sort=True)
        .agg(last_order_date=("order_date", "max"), median_gap_days=("gap_days", "median"))
        .reset_index()
    )


def store_median_wait(orders: pd.DataFrame, cutoff: pd.Timestamp) -> float | None:
    """The median wait in days between consecutive purchase days of the store's repeat
    customers, over the orders before the cutoff (None without a repeat purchase)."""
    days = orders.loc[orders["order_date"] < cutoff, ["customer_key", "order_date"]].drop_duplicates()
    days = days.sort_values(["customer_key", "order_date"], kind="mergesort")
    gaps = days.groupby("customer_key")["order_date"].diff().dt.days.dropna()
    return float(gaps.median()) if len(gaps) else None


def naive_next_order(gaps: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """Last order + the customer's median gap (the median of every gap in the store for a
    customer with one purchase day), never before the cutoff: no order came before it."""
    store_gap = gaps["median_gap_days"].median() if gaps["median_gap_days"].notna().any() else 0.0
    gap = gaps["median_gap_days"].fillna(store_gap)
    expected = gaps["last_order_date"] + pd.to_timedelta(np.round(gap), unit="D")
    return expected.where(expected >= cutoff, cutoff)


def store_wait_next_order(customers: int, cutoff: pd.Timestamp, wait_days: float | None) -> pd.Series:
    """The cutoff + the store's median wait (store_median_wait), the same day for every
    customer (NaT without a wait)."""
    day = cutoff + pd.Timedelta(days=round(wait_days)) if wait_days is not None else pd.NaT
    return pd.Series([day] * customers, dtype="datetime64[ns]")


def model_next_order(transactions, summary: pd.DataFrame, cutoff: pd.Timestamp, window_days: float) -> pd.Series:
    """The cutoff + the model's median wait of a customer who orders within `window_days`,
    rounded to a day (NaT where the wait is not finite)."""
    wait = transactions.median_days_to_next_purchase_within(summary["frequency"], summary["age"], window_days)
    wait = np.where(np.isfinite(wait) & (wait < MAX_WAIT_DAYS), np.round(wait), np.nan)
    return cutoff + pd.to_timedelta(wait, unit="D")


def expected_next_orders(
    transactions,
    summary: pd.DataFrame,
    gaps: pd.DataFrame,
    store_wait: float | None,
    cutoff: pd.Timestamp,
    window_days: float,
) -> dict[str, np.ndarray]:
    """{method: expected next-order day} for the customers of `summary` (in its order), every
    method looking from the cutoff with the orders before it: gaps = purchase_gaps and
    store_wait = store_median_wait at the cutoff (history.OrderHistory / RelationHistory)."""
    gaps = gaps.set_index("customer_key").reindex(summary["customer_key"]).reset_index()
    return {
        MODEL: model_next_order(transactions, summary, cutoff, window_days).to_numpy(),
        NAIVE: naive_next_order(gaps, cutoff).to_numpy(),
        # A customer without a sale order before the cutoff (no summary row) gets no date.
        STORE_WAIT: store_wait_next_order(len(summary), cutoff, store_wait)
        .where(summary["frequency"].notna().to_numpy())
        .to_numpy(),
    }


def realised_next_order(orders: pd.DataFrame, cutoff: pd.Timestamp, data_end: pd.Timestamp) -> pd.Series:
    """Per customer, the first sale order day in [cutoff, data_end)."""
    after = orders[(orders["order_date"] >= cutoff) & (orders["order_date"] < data_end)]
    return after.groupby("customer_key", sort=True)["order_date"].min()


def next_order_errors(expected: dict[str, np.ndarray], realised) -> dict[str, np.ndarray]:
    """{method: expected - realised in days} over the customers who ordered again and have a
    date from every method (the same rows for all, so they can be compared pairwise)."""
    realised = pd.to_datetime(pd.Series(np.asarray(realised)))
    scored = realised.notna().to_numpy()
    for dates in expected.values():
        scored &= pd.notna(dates)
    return {
        method: (pd.Series(pd.to_datetime(dates[scored])) - realised[scored].reset_index(drop=True)).dt.days.to_numpy(
            float
        )
        for method, dates in expected.items()
    }


def median_abs_error(errors) -> float | None:
    return float(np.median(np.abs(errors))) if len(errors) else None


def best_baseline(selection_errors: dict[str, np.ndarray] | None) -> str:
    """The baseline with the lowest median absolute error at the selection cutoff (an earlier
    cutoff than the one reported; ties by name); the naive rule without a selection cutoff."""
    scores = {
        name: median_abs_error(selection_errors[name])
        for name in BASELINES
        if selection_errors and name in selection_errors and len(selection_errors[name])
    }
    if not scores:
        return NAIVE
    return min(scores, key=lambda name: (scores[name], name))


def compare_with_baseline(model_error, baseline_error, seed: int) -> dict[str, float | None]:
    """The median absolute error of the model minus that of a baseline on the same customers,
    with its 95% interval from a seeded paired bootstrap."""
    return paired_difference_interval(
        np.median,
        np.abs(np.asarray(model_error, dtype=float)),
        np.abs(np.asarray(baseline_error, dtype=float)),
        seed,
        n_resamples=BOOTSTRAP_RESAMPLES,
        batch=BOOTSTRAP_BATCH,
    )


def compare_with_naive(model_error, naive_error, seed: int) -> dict[str, float | None]:
    """compare_with_baseline against the naive rule (kept for the *_vs_naive columns)."""
    return compare_with_baseline(model_error, naive_error, seed)


def beats(comparison: dict[str, float | None]) -> bool:
    """The whole 95% interval of the difference lies below 0."""
    return comparison["upper"] is not None and comparison["upper"] < 0


def served_method(model_comparison: dict[str, float | None], baseline: str) -> str:
    """The model when it beats the chosen baseline (interval below 0), else that baseline."""
    return MODEL if beats(model_comparison) else baseline
