"""The groups whose retention is compared, per store: overall, acquisition quarter, location
(Online Retail's country, Olist's state: all Brazil) and RFM segment; and each customer's
duration to the next order with the group of every dimension."""

from __future__ import annotations

import pandas as pd

from retail_warehouse.ml.retention.survival import time_to_repeat_purchase

OTHER_GROUP = "Other"
# The most frequent locations keep their own group; the others are OTHER_GROUP.
TOP_LOCATIONS = 5
# Olist is all Brazil: its location is the state; Online Retail's the country.
LOCATION_COLUMN = {"olist": "state"}
DEFAULT_LOCATION_COLUMN = "country_name"
LOCATION_DIMENSION = {"state": "state", "country_name": "country"}
OVERALL_DIMENSION = "overall"
OVERALL = "all customers"


def top_groups(values: pd.Series, n: int, other: str = OTHER_GROUP) -> pd.Series:
    """Keeps the n most frequent values (ties by name) and names the rest `other`; a missing
    value counts as 'Unknown'."""
    filled = values.fillna("Unknown").astype(str)
    counts = filled.value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    keep = {value for value, _ in ranked[:n]}
    return filled.where(filled.isin(keep), other)


def acquisition_quarter(first_order_date: pd.Series) -> pd.Series:
    """'2011-Q1' style label of each date."""
    dates = pd.to_datetime(first_order_date)
    return dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)


# Built from the customers' orders up to the data end, so from the outcome itself (a one-order
# customer cannot be in a repeat segment): curves only, described, never tested.
DESCRIPTIVE_DIMENSIONS = ("rfm_segment",)


def dimensions_of(store: str) -> tuple[str, ...]:
    location = LOCATION_DIMENSION[LOCATION_COLUMN.get(store, DEFAULT_LOCATION_COLUMN)]
    return (OVERALL_DIMENSION, "acquisition_quarter", location, "rfm_segment")


def tested_dimensions_of(store: str) -> tuple[str, ...]:
    """The dimensions compared by log-rank tests: fixed at or before each customer's first
    order (acquisition quarter, location), never one built from the follow-up."""
    return tuple(d for d in dimensions_of(store)[1:] if d not in DESCRIPTIVE_DIMENSIONS)


def store_survival_frame(orders: pd.DataFrame, groups: pd.DataFrame, store: str, end_date) -> pd.DataFrame:
    """One row per customer of the store: duration_days, observed, and the group of every
    dimension (overall, acquisition_quarter, country or state (top TOP_LOCATIONS, the rest
    'Other'), rfm_segment)."""
    frame = time_to_repeat_purchase(orders, pd.Timestamp(end_date))
    if frame.empty:
        return frame
    location = LOCATION_COLUMN.get(store, DEFAULT_LOCATION_COLUMN)
    frame = frame.merge(groups, on="customer_key", how="left", validate="one_to_one")
    frame[OVERALL_DIMENSION] = OVERALL
    frame["acquisition_quarter"] = acquisition_quarter(frame["first_order_date"])
    frame[LOCATION_DIMENSION[location]] = top_groups(frame[location], TOP_LOCATIONS)
    frame["rfm_segment"] = frame["rfm_segment"].fillna("Unknown")
    return frame.sort_values("customer_key", kind="stable").reset_index(drop=True)
