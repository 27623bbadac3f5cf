"""Unit tests of retail_warehouse.ml.recommendations.registry: the recommenders fitted on
schedule and scored otherwise, on small hand-made baskets."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.recommendations import algorithms, baskets, registry, tables

STORE = "online_retail"
NOW = datetime(2020, 2, 1, 12, 0)
SETTINGS = dataclasses.replace(
    registry.store_settings(
        STORE, neural=False, max_customers=1000, fit_max_customers=1000, fit_max_items=1000, seed=3
    ),
    serving_method="popularity",
    k=2,
)
CUSTOMERS = 80


def basket_items(rows: list[tuple[str, str, str, str]]) -> duckdb.DuckDBPyRelation:
    """(basket_key, customer_key, order_day, item_key) rows as baskets.basket_items gives them."""
    frame = pd.DataFrame(rows, columns=["basket_key", "customer_key", "order_day", "item_key"])
    frame["order_day"] = pd.to_datetime(frame["order_day"]).dt.date
    frame.insert(0, "store", STORE)
    return duckdb.connect().from_df(frame)


def first_period() -> list[tuple[str, str, str, str]]:
    """Every customer buys p0; even customers p1, every third p2, every fifth p3 (popularity
    order p0, p1, p2, p3), in January."""
    rows = []
    for n in range(CUSTOMERS):
        customer = f"c{n:02d}"
        items = ["p0"] + [f"p{i}" for i, every in ((1, 2), (2, 3), (3, 5)) if n % every == 0]
        rows.extend((f"{customer}-1", customer, "2020-01-10", item) for item in items)
    return rows


def second_period(item_of) -> list[tuple[str, str, str, str]]:
    """Each customer's March basket: item_of(n), or none when it gives None."""
    return [(f"c{n:02d}-2", f"c{n:02d}", "2020-03-01", item_of(n)) for n in range(CUSTOMERS) if item_of(n) is not None]


VALIDATION = pd.DataFrame(
    {
        "store": [STORE],
        "is_serving_method": [True],
        "protocol": ["new_items"],
        "train_end_date": [pd.Timestamp("2019-10-10").date()],
        "test_end_date": [pd.Timestamp("2020-01-10").date()],
        "evaluated_customers": [40],
        "hit_rate_at_k": [0.8],
        "hit_rate_vs_best_baseline": [0.0],
        "verdict": ["baseline"],
    }
)


def decide(items, previous, settings=SETTINGS, now=NOW, force=False) -> pd.Series:
    decided = registry.decisions(
        [(STORE, settings, items)], previous, cadence_days=30, ratio_threshold=0.5, force=force, now=now
    )
    assert len(decided) == 1 and list(decided.columns) == list(registry.DECISION_COLUMNS)
    return decided.iloc[0]


def registered_rows() -> pd.DataFrame:
    """The registry after a first build on the January baskets."""
    items = basket_items(first_period())
    decided = registry.decisions(
        [(STORE, SETTINGS, items)], pd.DataFrame(), cadence_days=30, ratio_threshold=0.5, force=False, now=NOW
    )
    return registry.fit_registered([(STORE, SETTINGS, items)], decided, VALIDATION, {}, refit_everything=False)


def test_first_build_refits_and_registers_the_serving_method_with_its_validation():
    decision = decide(basket_items(first_period()), pd.DataFrame())
    assert (decision["action"], decision["reason"]) == ("refit", "no model registered")
    rows = registered_rows()
    assert list(rows.columns) == list(registry.REGISTRY_COLUMNS)
    row = rows.iloc[0]
    assert (row["version"], row["serving_method"], row["validation_hit_rate"]) == (1, "popularity", 0.8)
    assert row["training_window_end"] == pd.Timestamp("2020-01-10")
    fitted = registry.load(row["model_bytes"], "popularity")
    assert list(fitted.items) == ["p0", "p1", "p2", "p3"]
    assert fitted.item_share.tolist() == pytest.approx([1.0, 0.5, 27 / 80, 16 / 80])
    assert (row["training_customers"], row["fitted_customers"]) == (CUSTOMERS, CUSTOMERS)


def test_same_inputs_score_with_the_registered_model():
    decision = decide(basket_items(first_period()), registered_rows(), now=NOW + timedelta(days=1))
    assert decision["action"] == "score" and decision["registered_version"] == 1
    assert "not due before" in decision["reason"] and "0 customers with a new item since the fit" in decision["reason"]
    assert decision["recent_customers"] == 0 and pd.isna(decision["recent_hit_rate"])


def test_ml_refit_due_settings_and_corrupt_models_refit_with_their_reason():
    items, previous = basket_items(first_period()), registered_rows()
    assert "var ml_refit is true" in decide(items, previous, force=True)["reason"]
    assert (
        "due: fitted 2020-02-01 12:00, cadence 30 days"
        in decide(items, previous, now=NOW + timedelta(days=30))["reason"]
    )
    corrupt = decide(items, previous.assign(model_bytes=[b"not a pickle"]))
    assert (
        corrupt["action"] == "refit" and "registered version 1 cannot be loaded (UnpicklingError" in corrupt["reason"]
    )
    other_class = decide(items, previous.assign(model_bytes=[shared.dump({"not": "a recommender"})]))
    assert "cannot be loaded (TypeError" in other_class["reason"]
    svd = decide(items, previous, settings=dataclasses.replace(SETTINGS, serving_method="svd"))
    assert "registered method 'popularity', the store serves 'svd'" in svd["reason"]
    assert "settings changed" in svd["reason"]
    neural = decide(items, previous, settings=dataclasses.replace(SETTINGS, neural=True))
    assert neural["action"] == "refit" and neural["reason"].startswith("settings changed")
    capped = decide(items, previous, settings=dataclasses.replace(SETTINGS, fit_max_customers=50))
    assert capped["action"] == "refit" and '"fit_max_customers": 50' in capped["reason"]
    items_capped = decide(items, previous, settings=dataclasses.replace(SETTINGS, fit_max_items=2))
    assert items_capped["action"] == "refit" and '"fit_max_items": 2' in items_capped["reason"]


def test_the_serving_fit_learns_from_a_seeded_sample_of_at_most_the_cap():
    items = basket_items(first_period())
    settings = dataclasses.replace(SETTINGS, serving_method="item_item_cf", fit_max_customers=30)
    fitted, fit = registry.fit_store(items, STORE, settings)
    again, fit_again = registry.fit_store(items, STORE, settings)
    assert fit.fitted_customers == fit_again.fitted_customers == 30 and fit.training_customers == CUSTOMERS
    # Buyer shares over the 30 customers sampled: every one bought p0.
    assert fitted.item_share[0] == 1.0 and set(np.round(fitted.item_share * 30, 9)) <= set(range(31))
    assert shared.dump(fitted) == shared.dump(again)
    full, everyone = registry.fit_store(items, STORE, dataclasses.replace(settings, fit_max_customers=CUSTOMERS))
    assert everyone.fitted_customers == CUSTOMERS and fitted.item_share.tolist() != full.item_share.tolist()


def test_the_serving_fit_keeps_at_most_the_item_cap_the_most_popular():
    items = basket_items(first_period())
    settings = dataclasses.replace(SETTINGS, serving_method="svd", n_components=1, fit_max_items=2)
    fitted, fit = registry.fit_store(items, STORE, settings)
    assert (fit.training_items, fit.fitted_items) == (4, 2)
    assert fitted.items.tolist() == ["p0", "p1"] and fitted.item_factors.shape[1] == 2
    full, _ = registry.fit_store(items, STORE, dataclasses.replace(settings, fit_max_items=4))
    assert full.items.tolist() == ["p0", "p1", "p2", "p3"]
    # The customers are scored on the capped axis: only p0 and p1 can be recommended.
    counts = baskets.customer_item_counts(items, STORE)
    top = algorithms.recommend(fitted, counts, np.array(["c01", "new"], dtype=object), 2)
    assert set(top["item_key"]) <= {"p0", "p1"}


def test_the_hit_rate_since_the_fit_keeps_a_model_that_still_hits():
    # The odd customers (no p1 yet) buy p1 in March, the registered popularity's first new item.
    items = basket_items(first_period() + second_period(lambda n: "p1" if n % 2 else None))
    decision = decide(items, registered_rows(), now=NOW + timedelta(days=10))
    assert decision["action"] == "score"
    assert (decision["recent_customers"], decision["recent_hit_rate"]) == (40, 1.0)
    assert decision["recent_hit_rate_ratio"] == pytest.approx(1 / 0.8)
    assert "hit rate@2 1.000 on the 40 customers with a new item since the fit = 1.25 x" in decision["reason"]


def test_the_hit_rate_since_the_fit_refits_a_model_that_misses_early():
    # Every customer buys an item first sold after the fit: not on its item axis, never hit.
    items = basket_items(first_period() + second_period(lambda n: f"z{n % 3}"))
    decision = decide(items, registered_rows(), now=NOW + timedelta(days=10))
    assert decision["action"] == "refit"
    assert (decision["recent_customers"], decision["recent_hit_rate"], decision["recent_hit_rate_ratio"]) == (
        CUSTOMERS,
        0.0,
        0.0,
    )
    assert (
        decision["reason"].startswith("early refit: hit rate@2 0.000 on the 80 customers")
        and "< 0.5" in decision["reason"]
    )


def test_too_few_recent_customers_are_not_measured():
    items = basket_items(first_period() + second_period(lambda n: "z" if n < 5 else None))
    decision = decide(items, registered_rows(), now=NOW + timedelta(days=10))
    assert decision["action"] == "score" and decision["recent_customers"] == 5
    assert pd.isna(decision["recent_hit_rate"]) and "the hit-rate check needs 30" in decision["reason"]


def test_the_registered_model_scores_todays_history_on_its_item_axis():
    """Same state after a pickle round trip; scoring a newer history drops what the customer
    bought since (c01's p1) and never recommends an item first sold after the fit (c03's z)."""
    fitted = registry.load(registered_rows().iloc[0]["model_bytes"])
    items = basket_items(first_period() + [("c01-2", "c01", "2020-03-01", "p1"), ("c03-2", "c03", "2020-03-01", "z")])
    counts = baskets.customer_item_counts(items, STORE)
    table = algorithms.recommend(fitted, counts, np.array(["c01", "c03", "new"], dtype=object), 2)
    top = table.groupby("customer_key")["item_key"].agg(list).to_dict()
    assert top == {"c01": ["p2", "p3"], "c03": ["p1", "p3"], "new": ["p0", "p1"]}
    refit = algorithms.fit_recommender(
        "popularity",
        algorithms.interactions_from_counts(baskets.customer_item_counts(basket_items(first_period()), STORE)),
        None,
        4,
        3,
    )
    pd.testing.assert_frame_equal(
        table, algorithms.recommend(refit, counts, np.array(["c01", "c03", "new"], dtype=object), 2)
    )


@pytest.mark.parametrize("method", ["svd", "item_item_cf", "association_rules"])
def test_a_registered_model_scores_as_the_fit_it_came_from(method):
    items = basket_items(first_period() + second_period(lambda n: f"p{n % 4}"))
    settings = dataclasses.replace(SETTINGS, serving_method=method, min_pair_baskets=1, n_components=2)
    decided = registry.decisions(
        [(STORE, settings, items)], pd.DataFrame(), cadence_days=30, ratio_threshold=0.5, force=False, now=NOW
    )
    rows = registry.fit_registered([(STORE, settings, items)], decided, VALIDATION, {}, refit_everything=False)
    counts = baskets.customer_item_counts(items, STORE)
    customers = np.array(sorted(counts["customer_key"].unique()), dtype=object)
    again, _ = registry.fit_store(items, STORE, settings)
    pd.testing.assert_frame_equal(
        algorithms.recommend(registry.load(rows.iloc[0]["model_bytes"], method), counts, customers, 2),
        algorithms.recommend(again, counts, customers, 2),
    )


def test_metrics_run_only_for_the_stores_refitted():
    lines = pd.DataFrame(
        [
            (f"o{n}", f"c{n % 20:02d}", pd.Timestamp("2020-01-01") + pd.Timedelta(days=3 * n), f"p{n % 5}")
            for n in range(60)
        ],
        columns=["order_key", "customer_key", "ordered_at", "product_key"],
    )
    lines.insert(0, "store", STORE)
    products = pd.DataFrame(
        {"product_key": [f"p{n}" for n in range(5)], "product_name": "x", "category_name_english": None}
    )
    data_ends = pd.DataFrame({"store": [STORE], "data_end_date": [pd.Timestamp("2020-07-01").date()]})
    connection = duckdb.connect()

    def metrics(action):
        decisions = pd.DataFrame({"store": [STORE], "action": [action]})
        return tables.recommendation_metrics(
            connection.from_df(lines), connection.from_df(products), data_ends, decisions, 1, 1000, 1000, 1000, False
        )

    assert metrics("score") is None
    refitted = metrics("refit")
    assert set(refitted["store"]) == {STORE} and len(refitted) > 0


def test_the_decision_fingerprints_the_counts_read_in_chunks_as_read_whole(monkeypatch):
    rows = [(f"b{n}", f"c{n:04d}", "2020-01-10", f"p{n % 3}") for n in range(1500)]
    rows += [(f"b{n}", f"c{n:04d}", "2020-01-10", "q") for n in range(1500)]
    items = basket_items(rows)
    monkeypatch.setattr(baskets, "CHUNK_VECTORS", 1)
    chunks = list(baskets.customer_item_chunks(items, STORE))
    whole = baskets.customer_item_counts(items, STORE)
    assert len(chunks) == 2 and sum(len(chunk) for chunk in chunks) == len(whole) == 3000
    data = registry.store_input(items, STORE)
    assert (data.customers, data.items) == (1500, 4)
    assert data.fingerprint == shared.input_fingerprint(whole)
    assert data.schema_hash == shared.input_schema_hash(whole)
