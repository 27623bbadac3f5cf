"""Labelled examples for out-of-time validation: features as a customer stood at a cutoff
(marts.customer_feature_snapshots, plus recent-activity counts over the orders before the
cutoff) and outcomes from the orders on or after it, within a horizon of H days.

ml.customer_value_examples, the labelled examples of every monthly cutoff, is a SQL model
(python_models/customer_value/customer_value_examples.sql) holding these leakage rules; this
module holds the same features and outcomes for the Python models that score or evaluate one
cutoff (the scoring day, a value cutoff), and the split rule they read back:
- a feature at cutoff c uses orders dated before c only;
- an outcome at cutoff c uses orders dated in [c, c + H) only;
- a cutoff is labelled only when its whole outcome window lies inside the observed data
  (c + H <= the day after the store's data end, marts.store_data_ends.data_end_date: its
  last complete day, defined once in SQL for every model);
- training cutoffs have their outcome window closed before the validation cutoff
  (c + H <= validation cutoff), so validation mimics scoring on that day with what was
  known then; no random split across time.
The warehouse test test_every_feature_at_a_cutoff_ignores_the_orders_on_or_after_it changes
every order on or after a cutoff and checks that no feature at it moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from retail_warehouse.ml.common import hash_sample_positions

# The snapshot measures used as model features (customer_feature_snapshots and
# customer_features share them), then the recent-activity counts of this module.
SNAPSHOT_FEATURES = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_basket_amount",
    "avg_basket_quantity",
    "return_rate",
    "mean_days_between_orders",
    "cancellation_order_count",
)
RECENT_ACTIVITY_FEATURES = ("orders_last_30d", "orders_last_90d", "revenue_last_90d")
FEATURES = SNAPSHOT_FEATURES + RECENT_ACTIVITY_FEATURES

ORDER_COLUMNS = ("customer_key", "order_date", "net_revenue_amount")


def sale_orders(fct_orders: pd.DataFrame) -> pd.DataFrame:
    """The sale orders of known customers, sorted, with order_date as datetime64. A sale
    order is one of order_type 'sale' that was not cancelled (Olist status canceled or
    unavailable): the one definition the labels share with survival and experiments."""
    orders = fct_orders.loc[
        (fct_orders["order_type"] == "sale")
        & ~fct_orders["is_cancelled"].astype(bool)
        & fct_orders["customer_key"].notna(),
        list(ORDER_COLUMNS),
    ].copy()
    orders["order_date"] = pd.to_datetime(orders["order_date"])
    orders["net_revenue_amount"] = orders["net_revenue_amount"].astype(float)
    return orders.sort_values(["customer_key", "order_date", "net_revenue_amount"], kind="mergesort").reset_index(
        drop=True
    )


def recent_activity_features(orders: pd.DataFrame, cutoffs) -> pd.DataFrame:
    """Per customer and cutoff: sale orders in the 30 and 90 days before the cutoff and their
    net revenue; only orders dated before the cutoff are read."""
    frames = []
    for cutoff in sorted(pd.to_datetime(list(cutoffs))):
        window = orders[(orders["order_date"] < cutoff) & (orders["order_date"] >= cutoff - pd.Timedelta(days=90))]
        last_30 = window["order_date"] >= cutoff - pd.Timedelta(days=30)
        grouped = (
            window.assign(in_last_30=last_30.astype(int))
            .groupby("customer_key", sort=True)
            .agg(
                orders_last_30d=("in_last_30", "sum"),
                orders_last_90d=("order_date", "size"),
                revenue_last_90d=("net_revenue_amount", "sum"),
            )
            .reset_index()
        )
        grouped.insert(1, "as_of_date", cutoff)
        frames.append(grouped)
    return keyed_by_customer_and_date(frames, RECENT_ACTIVITY_FEATURES)


def keyed_by_customer_and_date(frames: list[pd.DataFrame], value_columns) -> pd.DataFrame:
    """The per-cutoff frames stacked, as_of_date typed as datetime even when there are none."""
    columns = ["customer_key", "as_of_date", *value_columns]
    table = pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
    table["as_of_date"] = pd.to_datetime(table["as_of_date"])
    for column in value_columns:
        table[column] = table[column].astype(float)
    return table


def outcome_labels(orders: pd.DataFrame, cutoffs, horizon_days: int) -> pd.DataFrame:
    """Per customer and cutoff with at least one sale order in [cutoff, cutoff + H): the
    order count and net revenue in that window (customers absent here had none)."""
    frames = []
    for cutoff in sorted(pd.to_datetime(list(cutoffs))):
        window = orders[
            (orders["order_date"] >= cutoff) & (orders["order_date"] < cutoff + pd.Timedelta(days=horizon_days))
        ]
        grouped = (
            window.groupby("customer_key", sort=True)
            .agg(orders_next=("order_date", "size"), spend_next=("net_revenue_amount", "sum"))
            .reset_index()
        )
        grouped.insert(1, "as_of_date", cutoff)
        frames.append(grouped)
    return keyed_by_customer_and_date(frames, ("orders_next", "spend_next"))


@dataclass(frozen=True)
class OutOfTimeSplit:
    """Training cutoffs (outcomes known before the validation cutoff), the latest of them used
    to tune the decision threshold, and the validation cutoff."""

    training: tuple[pd.Timestamp, ...]
    validation: pd.Timestamp | None

    @property
    def is_usable(self) -> bool:
        return self.validation is not None and len(self.training) > 0

    @property
    def tuning(self) -> pd.Timestamp | None:
        """The latest training cutoff: thresholds are tuned there with models fitted on the
        earlier ones (None with a single training cutoff)."""
        return self.training[-1] if len(self.training) > 1 else None


def out_of_time_split(cutoffs_with_labels, horizon_days: int) -> OutOfTimeSplit:
    """Validation at the latest labelled cutoff; training at every cutoff whose outcome window
    closed by then."""
    labelled = sorted(pd.to_datetime(list(cutoffs_with_labels)))
    if not labelled:
        return OutOfTimeSplit((), None)
    validation = labelled[-1]
    training = tuple(c for c in labelled if c + pd.Timedelta(days=horizon_days) <= validation)
    return OutOfTimeSplit(training, validation)


def attach_features(customers: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Customer rows (customer_key, as_of_date, the snapshot measures) with the recent-activity
    features at their as_of_date, missing values filled, sorted by date and customer."""
    return attach_recent_activity(customers, lambda cutoffs: recent_activity_features(orders, cutoffs))


def attach_recent_activity(customers: pd.DataFrame, recent_activity) -> pd.DataFrame:
    """attach_features with the recent-activity features of recent_activity(cutoffs) (the
    cutoffs: the customers' as_of_dates), e.g. computed in DuckDB (history.RelationHistory)."""
    frame = customers.copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    recent = recent_activity(frame["as_of_date"].unique())
    frame = frame.merge(recent, on=["customer_key", "as_of_date"], how="left")
    frame[list(RECENT_ACTIVITY_FEATURES)] = frame[list(RECENT_ACTIVITY_FEATURES)].fillna(0.0)
    # A single order has no gap between orders, no cancellation share: 0 with frequency = 1
    # telling the models apart from real zeros.
    frame[list(SNAPSHOT_FEATURES)] = frame[list(SNAPSHOT_FEATURES)].astype(float).fillna(0.0)
    return frame.sort_values(["as_of_date", "customer_key"], kind="mergesort").reset_index(drop=True)


def day_after(data_end_date) -> pd.Timestamp:
    """The first day past a store's data end (marts.store_data_ends.data_end_date): the end
    (exclusive) of its observed outcome windows and the as-of day of its scores."""
    return pd.Timestamp(data_end_date) + pd.Timedelta(days=1)


def seeded_sample(frame: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """At most max_rows rows, in the frame's order, chosen by a seeded hash of the customer
    key and the cutoff (common.hash_sample_positions), not by position: whether a customer's
    row at a cutoff is in the sample depends on that key alone, so one new customer does not
    reshuffle a fit or evaluation sample (it may take the place of at most one row)."""
    keys = frame["customer_key"].astype(str)
    if "as_of_date" in frame.columns:
        keys = keys + "@" + pd.to_datetime(frame["as_of_date"]).dt.strftime("%Y-%m-%d")
    return frame.iloc[hash_sample_positions(keys.to_numpy(dtype=object), max_rows, seed)]
