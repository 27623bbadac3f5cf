"""Who is in an experiment and in which variant: every customer of the store with an order
before the assignment day, assigned by a hash of the experiment's salt and the customer key,
and the customer's outcome in the window after it."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

from retail_warehouse.ml.experiments.statistics import CONTROL, TREATMENT


def assign_variants(unit_keys: pd.Series, salt: str, treatment_share: float) -> pd.Series:
    """control / treatment for every unit, from md5(salt:key): deterministic, independent of
    row order and of the other units, and stable when new customers arrive."""
    if not 0 < treatment_share < 1:
        raise ValueError("treatment_share must lie strictly between 0 and 1")
    buckets = np.array(
        [int(hashlib.md5(f"{salt}:{key}".encode()).hexdigest()[:15], 16) / 16**15 for key in unit_keys],
        dtype=float,
    )
    return pd.Series(np.where(buckets < treatment_share, TREATMENT, CONTROL), index=unit_keys.index, dtype=object)


def outcome_window(definition: pd.Series, data_end_date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[assigned_on, assigned_on + outcome_window_days), its end cut at the day after the
    store's data end (marts.store_data_ends: later days are not observed, so they count for no
    one)."""
    start = pd.Timestamp(definition["assigned_on"])
    end = min(
        start + pd.Timedelta(days=int(definition["outcome_window_days"])),
        pd.Timestamp(data_end_date) + pd.Timedelta(days=1),
    )
    return start, end


def experiment_units(definition: pd.Series, customers: pd.DataFrame, window_end: pd.Timestamp) -> pd.DataFrame:
    """The units of one experiment: `customers`, every customer of its store with a sale
    order before assigned_on with their sale orders and net revenue in the outcome window
    (customer_key, window_orders, window_revenue: tables.experiment_customers), their variant
    (assign_variants) and outcome: converted = any sale order in the window, revenue = its net
    revenue (0 when none); outcome_window_end = the (exclusive) end applied."""
    units = customers[["customer_key"]].sort_values("customer_key", kind="stable").reset_index(drop=True)
    if units.empty:
        return units.assign(
            customer_key=pd.Series(dtype=object),
            variant=pd.Series(dtype=object),
            converted=pd.Series(dtype=bool),
            revenue=pd.Series(dtype=float),
            outcome_window_end=pd.Series(dtype="datetime64[ns]"),
        )
    units["variant"] = assign_variants(
        units["customer_key"], str(definition["salt"]), float(definition["treatment_share"])
    )
    outcomes = customers.set_index("customer_key")
    units["converted"] = units["customer_key"].map(outcomes["window_orders"]).to_numpy() > 0
    units["revenue"] = units["customer_key"].map(outcomes["window_revenue"]).astype(float).fillna(0.0)
    units["outcome_window_end"] = window_end
    return units
