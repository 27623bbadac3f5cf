"""The expected date of each customer's next order, from the transaction model (the median wait
of an alive customer, btyd.BetaGeometricNBD.median_days_to_next_purchase) or from the naive
rule "last order + median gap between orders", and the check of both out of time."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import paired_difference_interval
from retail_warehouse.ml.customer_value.metrics import BOOTSTRAP_BATCH, BOOTSTRAP_RESAMPLES

MODEL = "transaction_model_median_wait"
NAIVE = "last_order_plus_median_gap"


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


def naive_next_order(gaps: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """Last order + the customer's median gap (the median of every gap in the store for a
    customer with one purchase day), never before the cutoff: no order came before it."""
    store_gap = gaps["median_gap_days"].median() if gaps["median_gap_days"].notna().any() else 0.0
    gap = gaps["median_gap_days"].fillna(store_gap)
    expected = gaps["last_order_date"] + pd.to_timedelta(np.round(gap), unit="D")
    return expected.where(expected >= cutoff, cutoff)


def model_next_order(transactions, summary: pd.DataFrame, cutoff: pd.Timestamp) -> pd.Series:
    """The cutoff + the model's median wait of an alive customer, rounded to a day (NaT where
    the wait is not finite)."""
    wait = transactions.median_days_to_next_purchase(summary["frequency"], summary["age"])
    wait = np.where(np.isfinite(wait) & (wait < 36_500), np.round(wait), np.nan)
    return cutoff + pd.to_timedelta(wait, unit="D")


def realised_next_order(orders: pd.DataFrame, cutoff: pd.Timestamp, data_end: pd.Timestamp) -> pd.Series:
    """Per customer, the first sale order day in [cutoff, data_end)."""
    after = orders[(orders["order_date"] >= cutoff) & (orders["order_date"] < data_end)]
    return after.groupby("customer_key", sort=True)["order_date"].min()


def compare_with_naive(model_error, naive_error, seed: int) -> dict[str, float | None]:
    """The median absolute error of the model minus that of the naive rule on the same
    customers, with its 95% interval from a seeded paired bootstrap."""
    return paired_difference_interval(
        np.median, model_error, naive_error, seed, n_resamples=BOOTSTRAP_RESAMPLES, batch=BOOTSTRAP_BATCH
    )
