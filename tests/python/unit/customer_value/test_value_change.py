"""The Shapley split of a change in the 12-month value total (customer_value.value_change):
exact on planted outcomes, adds up to the change, and the backtest replays both scoring
rules on orders it can see."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_customer_value import store_orders

from retail_warehouse.ml.customer_value import spend, value_change

D = pd.Timestamp


def test_the_shapley_split_of_an_additive_change_gives_each_factor_its_own_effect():
    effects = {"customers": -2.0, "age_T": 30.0, "transaction_parameters": 45.0, "gamma_gamma_parameters": 0.5}
    shares = value_change.shapley_split(lambda on: 100 + sum(effects[f] for f in on), value_change.FACTORS)
    assert shares == pytest.approx(effects)


def test_the_shapley_split_shares_an_interaction_equally_and_adds_up_to_the_change():
    # total = rate x age: switching both doubles each, the interaction split half and half.
    def total(on):
        return (2.0 if "transaction_parameters" in on else 1.0) * (3.0 if "age_T" in on else 1.0)

    shares = value_change.shapley_split(total, value_change.FACTORS)
    assert sum(shares.values()) == pytest.approx(total(frozenset(value_change.FACTORS)) - total(frozenset()))
    assert shares["transaction_parameters"] == pytest.approx(1.0 + 2.0 / 2)
    assert shares["age_T"] == pytest.approx(2.0 + 2.0 / 2)
    assert shares["customers"] == 0 and shares["gamma_gamma_parameters"] == 0


def test_the_decomposition_reproduces_both_scoring_days_totals():
    orders = store_orders(300, months=14, seed=4)
    old_day = orders["order_date"].max() + pd.Timedelta(days=1)
    new_day = old_day - pd.Timedelta(days=40)
    split = value_change.decompose(orders, old_day, new_day, spend.CHALLENGER)
    for day, total, drop in ((old_day, split["old_total"], False), (new_day, split["new_total"], True)):
        fitted = spend.fit_probabilistic(orders, day, spend.CHALLENGER)
        customers = value_change.scoring_state(orders, day, drop_later_buyers=drop)
        direct = spend.probabilistic_value(fitted, customers["customer_key"], spend.CLV_DAYS).sum()
        assert total == pytest.approx(direct)
    assert sum(split["shares"].values()) == pytest.approx(split["new_total"] - split["old_total"])
    # Customers who ordered after the new day are not scored on it.
    assert split["new_customers"] < split["old_customers"]


def test_the_backtest_counts_the_unseen_days_as_silence_only_in_the_old_rule():
    orders = store_orders(300, months=14, seed=4)
    result = value_change.backtest(orders, D("2011-08-01"), 56, spend.CHALLENGER, days=90)
    overall = result[result["tenure"] == "all"].set_index("rule")
    assert overall.loc["new", "customers"] == overall.loc["old", "customers"]
    assert overall.loc["new", "actual"] == overall.loc["old", "actual"] > 0
    # 56 more days of silence make every customer look less active: the old total is lower.
    assert overall.loc["old", "predicted"] < overall.loc["new", "predicted"]
    assert np.isfinite(overall["ratio"]).all()
