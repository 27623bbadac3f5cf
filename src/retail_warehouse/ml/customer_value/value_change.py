"""Why a store's 12-month value total moved when its scoring day moved (Olist: from the day
after the last order, 2018-10-18, to the day after the data end, 2018-08-23): an exact Shapley
split of the change over the factors that changed (the customers scored, their age T, the
transaction model's parameters, Gamma-Gamma's), and a backtest of both scoring rules at an
earlier cutoff against the revenue that followed.

    .venv/bin/python -m retail_warehouse.ml.customer_value.value_change \\
        --warehouse /tmp/wh/.build/wh.duckdb --store olist --model mbgnbd_gamma_gamma \\
        --old-scoring-date 2018-10-18 --backtest-cutoff 2017-08-01 [--backtest-days 365]

Reads marts.fct_orders and marts.store_data_ends of a built warehouse (read-only).
"""

from __future__ import annotations

import argparse
import itertools
import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from retail_warehouse.ml.customer_value import spend
from retail_warehouse.ml.customer_value.btyd import expected_value, rfm_summary
from retail_warehouse.ml.customer_value.labels import day_after, sale_orders

FACTORS = ("customers", "age_T", "transaction_parameters", "gamma_gamma_parameters")


def shapley_split(value: Callable[[frozenset], float], factors: Sequence[str]) -> dict[str, float]:
    """The exact Shapley value of each factor in value(all switched) - value(none switched):
    value(S) is the outcome with the factors in S at their new state, the rest at their old
    one; each factor gets its marginal effect averaged over every order of switching. The
    shares add up to the total change (efficiency)."""
    factors = tuple(factors)
    cache = {}

    def cached(switched: frozenset) -> float:
        if switched not in cache:
            cache[switched] = float(value(switched))
        return cache[switched]

    n = len(factors)
    shares = {}
    for factor in factors:
        others = [f for f in factors if f != factor]
        share = 0.0
        for size in range(n):
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for subset in itertools.combinations(others, size):
                before = frozenset(subset)
                share += weight * (cached(before | {factor}) - cached(before))
        shares[factor] = share
    return shares


def scoring_state(orders: pd.DataFrame, scoring_day: pd.Timestamp, drop_later_buyers: bool) -> pd.DataFrame:
    """The rfm_summary of the customers scored on `scoring_day` (orders before it), with the
    first purchase day kept; drop_later_buyers: leave out customers with a sale order on or
    after the scoring day (the unscored rows of customer_value_predictions)."""
    summary = rfm_summary(orders, scoring_day)
    first = orders[orders["order_date"] < scoring_day].groupby("customer_key")["order_date"].min()
    summary["first_day"] = first.reindex(summary["customer_key"]).to_numpy()
    if drop_later_buyers:
        later = set(orders.loc[orders["order_date"] >= scoring_day, "customer_key"])
        summary = summary[~summary["customer_key"].isin(later)].reset_index(drop=True)
    return summary


def aged_to(summary: pd.DataFrame, scoring_day: pd.Timestamp) -> pd.DataFrame:
    """The summary with T counted from each first purchase to `scoring_day`, never below the
    recency (a customer cannot be younger than their own history)."""
    age = (scoring_day - pd.to_datetime(summary["first_day"])).dt.days.to_numpy(dtype=float)
    return summary.assign(age=np.maximum(age, summary["recency"].to_numpy(dtype=float)))


def value_total(summary: pd.DataFrame, transactions, purchase_value, days: float = spend.CLV_DAYS) -> float:
    """The store total of the expected value in the next `days` days (each customer's >= 0,
    as customer_value_predictions.model_value_12m)."""
    return float(np.clip(expected_value(summary, days, transactions, purchase_value), 0, None).sum())


def decompose(orders: pd.DataFrame, old_day: pd.Timestamp, new_day: pd.Timestamp, model: str) -> dict:
    """The Shapley split of the 12-month total scored on new_day (customers without a sale
    order on or after it, the fit on the orders before it) minus the total scored on old_day
    (every customer, the fit on the orders before it)."""
    old_customers = scoring_state(orders, old_day, drop_later_buyers=False)
    new_customers = scoring_state(orders, new_day, drop_later_buyers=True)
    old_fit = spend.fit_probabilistic(orders, old_day, model)
    new_fit = spend.fit_probabilistic(orders, new_day, model)

    def total(switched: frozenset) -> float:
        customers = new_customers if "customers" in switched else old_customers
        customers = aged_to(customers, new_day if "age_T" in switched else old_day)
        transactions = (new_fit if "transaction_parameters" in switched else old_fit)[1]
        purchase_value = (new_fit if "gamma_gamma_parameters" in switched else old_fit)[2]
        return value_total(customers, transactions, purchase_value)

    shares = shapley_split(total, FACTORS)
    return {
        "old_total": total(frozenset()),
        "new_total": total(frozenset(FACTORS)),
        "old_customers": len(old_customers),
        "new_customers": len(new_customers),
        "shares": shares,
        "old_fit": old_fit[1:],
        "new_fit": new_fit[1:],
    }


def backtest(orders: pd.DataFrame, cutoff: pd.Timestamp, shift_days: int, model: str, days: int = spend.CLV_DAYS):
    """Both scoring rules replayed at an earlier cutoff, on the orders before it: "new" fits and
    scores as of the cutoff; "old" counts T (and fits) as of cutoff + shift_days though no
    order of those days is seen, as the old scoring day did with the trailing days after the
    data end. Predicted 12-month totals against the realised net revenue in [cutoff, cutoff +
    days) of the same customers, overall and by the customer's tenure at the cutoff."""
    seen = orders[orders["order_date"] < cutoff]
    after = orders[(orders["order_date"] >= cutoff) & (orders["order_date"] < cutoff + pd.Timedelta(days=days))]
    rows = []
    for rule, scoring_day in (("new", cutoff), ("old", cutoff + pd.Timedelta(days=shift_days))):
        fitted = spend.fit_probabilistic(seen, scoring_day, model)
        summary = fitted[0]
        predicted = np.clip(expected_value(summary, days, fitted[1], fitted[2]), 0, None)
        actual = after.groupby("customer_key")["net_revenue_amount"].sum().reindex(summary["customer_key"]).fillna(0)
        tenure = (cutoff - (scoring_day - pd.to_timedelta(summary["age"], unit="D"))).dt.days
        band = pd.cut(tenure, [-1, 90, 180, 365, 100_000], labels=["<= 90 d", "91-180 d", "181-365 d", "> 365 d"])
        frame = pd.DataFrame({"band": band, "predicted": predicted, "actual": actual.to_numpy()})
        for label, group in [("all", frame), *frame.groupby("band", observed=True)]:
            rows.append(
                {
                    "rule": rule,
                    "tenure": label,
                    "customers": len(group),
                    "predicted": group["predicted"].sum(),
                    "actual": group["actual"].sum(),
                    "ratio": group["predicted"].sum() / group["actual"].sum() if group["actual"].sum() else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _store_orders(warehouse: str, store: str) -> tuple[pd.DataFrame, pd.Timestamp]:
    import duckdb

    with duckdb.connect(warehouse, read_only=True) as connection:
        orders = connection.execute(
            "select store, order_type, is_cancelled, customer_key, order_date, net_revenue_amount "
            "from marts.fct_orders where store = ?",
            [store],
        ).df()
        data_end = connection.execute(
            "select data_end_date from marts.store_data_ends where store = ?", [store]
        ).fetchone()[0]
    return sale_orders(orders), pd.Timestamp(data_end)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--store", default="olist")
    parser.add_argument("--model", default=spend.CHALLENGER)
    parser.add_argument("--old-scoring-date", required=True, help="the old scoring day (last order + 1)")
    parser.add_argument("--backtest-cutoff", required=True)
    parser.add_argument("--backtest-days", type=int, default=spend.CLV_DAYS, help="the window scored (365)")
    args = parser.parse_args(argv)
    orders, data_end = _store_orders(args.warehouse, args.store)
    old_day, new_day = pd.Timestamp(args.old_scoring_date), day_after(data_end)
    split = decompose(orders, old_day, new_day, args.model)
    change = split["new_total"] - split["old_total"]
    print(f"{args.store} {args.model}: scoring day {old_day.date()} -> {new_day.date()} ({(old_day - new_day).days} d)")
    print(f"customers {split['old_customers']:,} -> {split['new_customers']:,}")
    for label, (transactions, purchase_value) in (("old", split["old_fit"]), ("new", split["new_fit"])):
        print(
            f"{label} fit: r {transactions.r:.4g} alpha {transactions.alpha:.4g} a {transactions.a:.4g} "
            f"b {transactions.b:.4g}; Gamma-Gamma p {purchase_value.p:.4g} q {purchase_value.q:.4g} "
            f"gamma {purchase_value.gamma:.4g}"
        )
    print(
        f"12-month total {split['old_total']:,.0f} -> {split['new_total']:,.0f} ({change:+,.0f}, "
        f"{change / split['old_total']:+.1%})"
    )
    for factor, share in split["shares"].items():
        print(f"  {factor:24s} {share:+12,.0f}  {share / change:6.1%} of the change")
    cutoff = pd.Timestamp(args.backtest_cutoff)
    if cutoff + pd.Timedelta(days=args.backtest_days) > new_day:
        raise SystemExit(f"the backtest window passes the data end ({data_end.date()})")
    result = backtest(orders, cutoff, (old_day - new_day).days, args.model, args.backtest_days)
    print(f"backtest from {cutoff.date()}: predicted {args.backtest_days}-day total / realised")
    print(result.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))


if __name__ == "__main__":
    main()
