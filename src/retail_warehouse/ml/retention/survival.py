"""Retention as survival: Kaplan-Meier curves of the time from a customer's first order to
their next one (a repeat purchase), right-censored at the store's last order date, per group
(acquisition cohort, country / state, RFM segment), and log-rank tests between the groups."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from scipy.stats import chi2

OTHER_GROUP = "Other"
SURVIVAL_HORIZONS_DAYS = (30, 90, 180, 365)


def time_to_repeat_purchase(orders: pd.DataFrame, end_date: pd.Timestamp) -> pd.DataFrame:
    """One row per customer of `orders` (columns customer_key, order_date): days from the
    first order day to the next day with an order (observed = True), or to end_date when
    there is none (observed = False: right-censored). Several orders on the first day count
    as one visit, so a repeat purchase is a later day."""
    columns = ["customer_key", "first_order_date", "duration_days", "observed"]
    if orders.empty:
        return pd.DataFrame(columns=columns)
    days = (
        orders[["customer_key", "order_date"]]
        .assign(order_date=lambda frame: pd.to_datetime(frame["order_date"]))
        .drop_duplicates()
        .sort_values(["customer_key", "order_date"], kind="stable")
    )
    days["visit"] = days.groupby("customer_key").cumcount()
    first = days[days["visit"] == 0].set_index("customer_key")["order_date"]
    second = days[days["visit"] == 1].set_index("customer_key")["order_date"]
    result = pd.DataFrame({"first_order_date": first})
    result["next_order_date"] = second.reindex(result.index)
    result["observed"] = result["next_order_date"].notna()
    stop = result["next_order_date"].fillna(pd.Timestamp(end_date))
    result["duration_days"] = (stop - result["first_order_date"]).dt.days.astype(int)
    return result.reset_index()[columns]


def top_groups(values: pd.Series, n: int, other: str = OTHER_GROUP) -> pd.Series:
    """Keeps the n most frequent values (ties by name) and names the rest `other`; a missing
    value counts as 'Unknown'."""
    filled = values.fillna("Unknown").astype(str)
    counts = filled.value_counts()
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    keep = {value for value, _ in ranked[:n]}
    return filled.where(filled.isin(keep), other)


def kaplan_meier_table(durations: pd.Series, observed: pd.Series, alpha: float = 0.05) -> pd.DataFrame:
    """The Kaplan-Meier estimate at every time with an event or a censoring: units at risk,
    events, censored, S(t) and its (1 - alpha) exponential Greenwood interval (lifelines)."""
    fitter = KaplanMeierFitter(alpha=alpha).fit(durations, observed)
    events = fitter.event_table
    interval = fitter.confidence_interval_survival_function_
    return pd.DataFrame(
        {
            "time_days": events.index.to_numpy(dtype=int),
            "at_risk": events["at_risk"].to_numpy(dtype=int),
            "events": events["observed"].to_numpy(dtype=int),
            "censored": events["censored"].to_numpy(dtype=int),
            "survival": fitter.survival_function_.iloc[:, 0].reindex(events.index).to_numpy(),
            "ci_lower": interval.iloc[:, 0].reindex(events.index).to_numpy(),
            "ci_upper": interval.iloc[:, 1].reindex(events.index).to_numpy(),
        }
    )


def survival_time_at(table: pd.DataFrame, level: float) -> float:
    """First time S(t) <= level on a kaplan_meier_table (the median for 0.5); NaN when the
    curve never falls that low within the observed time (undefined, not infinite)."""
    below = table[table["survival"] <= level]
    return float(below["time_days"].iloc[0]) if len(below) else float("nan")


def survival_at(table: pd.DataFrame, day: int) -> float:
    """S(day) from a kaplan_meier_table (step function); NaN beyond the last observed time."""
    if table.empty or day > table["time_days"].max():
        return float("nan")
    before = table[table["time_days"] <= day]
    return float(before["survival"].iloc[-1]) if len(before) else 1.0


def curves_by_group(frame: pd.DataFrame, group_column: str) -> pd.DataFrame:
    """Kaplan-Meier curve of every group of frame (columns duration_days, observed,
    group_column), with a group_value column."""
    curves = [
        kaplan_meier_table(part["duration_days"], part["observed"]).assign(group_value=str(group))
        for group, part in sorted(frame.groupby(group_column, sort=False), key=lambda item: str(item[0]))
    ]
    return pd.concat(curves, ignore_index=True)


def summarise_curve(curve: pd.DataFrame) -> dict:
    """Customers, events, median time (S = 0.5), time at S = 0.75 and S at the
    SURVIVAL_HORIZONS_DAYS of one group's kaplan_meier_table (everyone is at risk at its
    first time, so the customers are its largest at_risk)."""
    curve = curve.sort_values("time_days")
    summary = {
        "customers": int(curve["at_risk"].max()),
        "events": int(curve["events"].sum()),
        "median_days": survival_time_at(curve, 0.5),
        "days_to_survival_0_75": survival_time_at(curve, 0.75),
        "max_follow_up_days": int(curve["time_days"].max()),
    }
    for day in SURVIVAL_HORIZONS_DAYS:
        summary[f"survival_at_{day}_days"] = survival_at(curve, day)
    return summary


def summarise_curves(curves: pd.DataFrame) -> pd.DataFrame:
    """One summarise_curve row per store, dimension and group of ml.retention_survival."""
    keys = ["store", "dimension", "group_value"]
    rows = [
        {**dict(zip(keys, key, strict=True)), **summarise_curve(curve)}
        for key, curve in curves.groupby(keys, sort=True)
    ]
    return pd.DataFrame(rows)


def logrank_two_groups(durations: np.ndarray, observed: np.ndarray, in_first: np.ndarray) -> tuple[float, float]:
    """Log-rank chi-square statistic (1 degree of freedom) and p-value of two groups
    (in_first marks the first): at every event time, observed vs expected events of the
    first group under equal hazards, with the hypergeometric variance. The same test as
    lifelines.statistics.logrank_test, vectorised for the many pairs of a dimension."""
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    in_first = np.asarray(in_first, dtype=bool)
    times = np.unique(durations[observed])
    if times.size == 0:
        return 0.0, 1.0
    # At risk at t: duration >= t; events at t: observed with duration == t.
    order = np.sort(durations)
    order_first = np.sort(durations[in_first])
    at_risk = len(durations) - np.searchsorted(order, times, side="left")
    at_risk_first = in_first.sum() - np.searchsorted(order_first, times, side="left")
    position = np.searchsorted(times, durations[observed])
    events = np.bincount(position, minlength=times.size)
    events_first = np.bincount(position[in_first[observed]], minlength=times.size)
    share = at_risk_first / at_risk
    expected = (events * share).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        variance_terms = events * share * (1 - share) * np.where(at_risk > 1, (at_risk - events) / (at_risk - 1), 0)
    variance = variance_terms.sum()
    if variance <= 0:
        return 0.0, 1.0
    statistic = float((events_first.sum() - expected) ** 2 / variance)
    return statistic, float(chi2.sf(statistic, 1))


def logrank_tests(frame: pd.DataFrame, group_column: str, pairwise: bool = True) -> pd.DataFrame:
    """The multivariate log-rank test of equal survival across all groups of frame, and (when
    pairwise) every pair of groups with Holm-adjusted p-values. Empty with fewer than two
    groups."""
    groups = sorted(frame[group_column].astype(str).unique())
    if len(groups) < 2:
        return pd.DataFrame()
    labels = frame[group_column].astype(str)
    overall = multivariate_logrank_test(frame["duration_days"], labels, frame["observed"])
    rows = [
        {
            "test": "multivariate_logrank",
            "group_a": None,
            "group_b": None,
            "groups": len(groups),
            "test_statistic": float(overall.test_statistic),
            "degrees_of_freedom": int(overall.degrees_of_freedom),
            "p_value": float(overall.p_value),
            "p_value_holm": float(overall.p_value),
        }
    ]
    if pairwise:
        durations = frame["duration_days"].to_numpy()
        observed = frame["observed"].to_numpy(dtype=bool)
        pairs = list(itertools.combinations(groups, 2))
        results = []
        for group_a, group_b in pairs:
            members = (labels == group_a).to_numpy() | (labels == group_b).to_numpy()
            results.append(
                logrank_two_groups(durations[members], observed[members], (labels[members] == group_a).to_numpy())
            )
        adjusted = holm_adjust(np.array([p_value for _, p_value in results]))
        for (group_a, group_b), (statistic, p_value), p_holm in zip(pairs, results, adjusted, strict=True):
            rows.append(
                {
                    "test": "pairwise_logrank",
                    "group_a": group_a,
                    "group_b": group_b,
                    "groups": 2,
                    "test_statistic": statistic,
                    "degrees_of_freedom": 1,
                    "p_value": p_value,
                    "p_value_holm": float(p_holm),
                }
            )
    return pd.DataFrame(rows)


def holm_adjust(p_values: np.ndarray) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down, monotone, capped at 1)."""
    p_values = np.asarray(p_values, dtype=float)
    order = np.argsort(p_values, kind="stable")
    m = len(p_values)
    adjusted_sorted = np.maximum.accumulate((m - np.arange(m)) * p_values[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(adjusted_sorted, 1.0)
    return adjusted


def acquisition_quarter(first_order_date: pd.Series) -> pd.Series:
    """'2011-Q1' style label of each date."""
    dates = pd.to_datetime(first_order_date)
    return dates.dt.year.astype(str) + "-Q" + dates.dt.quarter.astype(str)


# --- Per store: the customers' durations and groups; inputs and output tables -----------------

TOP_LOCATIONS = 5
# Olist is all Brazil: its location is the state; Online Retail's the country.
LOCATION_COLUMN = {"olist": "state"}
DEFAULT_LOCATION_COLUMN = "country_name"
LOCATION_DIMENSION = {"state": "state", "country_name": "country"}
OVERALL_DIMENSION = "overall"
OVERALL = "all customers"


def load_customer_orders(fct_orders) -> pd.DataFrame:
    """Days with a sale order (not cancelled) per customer, from marts.fct_orders."""
    return (
        fct_orders.filter("order_type = 'sale' and not is_cancelled and customer_key is not null")
        .aggregate("store, customer_key, order_date", "store, customer_key, order_date")
        .order("store, customer_key, order_date")
        .df()
    )


def load_store_end_dates(fct_orders) -> pd.Series:
    """store -> the store's last order date: where every customer still waiting is censored."""
    frame = fct_orders.aggregate("store, max(order_date) as end_date", "store").order("store").df()
    return frame.set_index("store")["end_date"]


def load_customer_groups(dim_customers, customer_rfm) -> pd.DataFrame:
    customers = dim_customers.project("store, customer_key, country_name, state").order("customer_key").df()
    segments = customer_rfm.project("customer_key, rfm_segment").order("customer_key").df()
    return customers.merge(segments, on="customer_key", how="left", validate="one_to_one")


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


def survival_frames_by_store(fct_orders, dim_customers, customer_rfm) -> dict[str, pd.DataFrame]:
    """store -> store_survival_frame, for every store with a sale order, in store order: the
    input of both ml.retention_survival and ml.retention_tests."""
    orders = load_customer_orders(fct_orders)
    end_dates = load_store_end_dates(fct_orders)
    groups = load_customer_groups(dim_customers, customer_rfm)
    return {
        store: store_survival_frame(
            orders[orders["store"] == store], groups[groups["store"] == store], store, end_dates[store]
        )
        for store in sorted(orders["store"].unique())
    }


def dimensions_of(store: str) -> tuple[str, ...]:
    location = LOCATION_DIMENSION[LOCATION_COLUMN.get(store, DEFAULT_LOCATION_COLUMN)]
    return (OVERALL_DIMENSION, "acquisition_quarter", location, "rfm_segment")


def store_curves(frame: pd.DataFrame, store: str) -> pd.DataFrame:
    """ml.retention_survival rows of one store."""
    if frame.empty:
        return pd.DataFrame()
    curves = [
        curves_by_group(frame, dimension).assign(store=store, dimension=dimension) for dimension in dimensions_of(store)
    ]
    return pd.concat(curves, ignore_index=True)


def store_tests(frame: pd.DataFrame, store: str) -> pd.DataFrame:
    """ml.retention_tests rows of one store: the multivariate log-rank test within every
    dimension but overall, and pairwise tests within location and RFM segment (acquisition
    quarters are ordered in time: their curves and the overall test say more than 36 pairs)."""
    if frame.empty:
        return pd.DataFrame()
    tests = []
    for dimension in dimensions_of(store)[1:]:
        result = logrank_tests(frame, dimension, pairwise=dimension != "acquisition_quarter")
        if not result.empty:
            tests.append(result.assign(store=store, dimension=dimension))
    return pd.concat(tests, ignore_index=True) if tests else pd.DataFrame()


SURVIVAL_SCHEMA = {
    "store": "string",
    "dimension": "string",
    "group_value": "string",
    "time_days": "Int64",
    "at_risk": "Int64",
    "events": "Int64",
    "censored": "Int64",
    "survival": "Float64",
    "ci_lower": "Float64",
    "ci_upper": "Float64",
}
SUMMARY_SCHEMA = {
    "store": "string",
    "dimension": "string",
    "group_value": "string",
    "customers": "Int64",
    "events": "Int64",
    "median_days": "Float64",
    "days_to_survival_0_75": "Float64",
    "max_follow_up_days": "Int64",
    **{f"survival_at_{day}_days": "Float64" for day in SURVIVAL_HORIZONS_DAYS},
}
TESTS_SCHEMA = {
    "store": "string",
    "dimension": "string",
    "test": "string",
    "group_a": "string",
    "group_b": "string",
    "groups": "Int64",
    "test_statistic": "Float64",
    "degrees_of_freedom": "Int64",
    "p_value": "Float64",
    "p_value_holm": "Float64",
}
