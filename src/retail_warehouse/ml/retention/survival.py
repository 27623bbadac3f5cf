"""Retention as survival: Kaplan-Meier curves of the time from a customer's first order to
their next one (a repeat purchase), right-censored at the store's data end (its last complete
day, marts.store_data_ends), per group, and log-rank tests between the groups (lifelines;
statsmodels for the Holm adjustment)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from scipy.stats import chi2
from statsmodels.stats.multitest import multipletests

SURVIVAL_HORIZONS_DAYS = (30, 90, 180, 365)


def time_to_repeat_purchase(orders: pd.DataFrame, end_date: pd.Timestamp) -> pd.DataFrame:
    """One row per customer of `orders` (columns customer_key, order_date) with a first order
    on or before end_date (the store's data end): days from the first order day to the next
    day with an order (observed = True), or to end_date when there is none by then (observed =
    False: right-censored). Orders after end_date are past the observed history: a customer
    whose next order falls there is censored at end_date, one whose first order falls there
    has no follow-up and no row. Several orders on the first day count as one visit, so a
    repeat purchase is a later day."""
    columns = ["customer_key", "first_order_date", "duration_days", "observed"]
    dates = pd.to_datetime(orders["order_date"])
    orders = orders[dates <= pd.Timestamp(end_date)]
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
    first group under equal hazards, with the hypergeometric variance. 0 and 1 when nothing
    can be tested (no event, no variance).

    The same test as lifelines.statistics.logrank_test (equal to 3e-13 relative on the real
    files; tested against it), kept by hand because it is measured 6-8x faster there: the 120
    pairs of the real files' location and RFM segments took 0.6 s against 3.8-4.8 s for
    lifelines' logrank_test or pairwise_logrank_test (three runs on the 2-core build machine,
    busy with other builds)."""
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
    pairwise) every pair of groups with Holm-adjusted p-values (the pairs of one dimension are
    one family). The multivariate row's p_value_holm is left for holm_across_dimensions (its
    family is every dimension tested in the store). Empty with fewer than two groups."""
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
            "p_value_holm": float("nan"),
            "holm_family": "multivariate tests of the store",
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
        adjusted = multipletests([p_value for _, p_value in results], method="holm")[1]
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
                    "holm_family": f"pairs of {group_column}",
                }
            )
    return pd.DataFrame(rows)


def holm_across_dimensions(tests: pd.DataFrame) -> pd.DataFrame:
    """The multivariate rows of one store (one per dimension) Holm-adjusted as one family."""
    tests = tests.copy()
    overall = tests["test"] == "multivariate_logrank"
    if overall.any():
        tests.loc[overall, "p_value_holm"] = multipletests(tests.loc[overall, "p_value"], method="holm")[1]
    return tests
