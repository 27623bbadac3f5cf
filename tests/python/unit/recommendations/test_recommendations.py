"""Unit tests of retail_warehouse.ml.recommendations on small hand-made baskets."""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from retail_warehouse.ml.recommendations import algorithms, baskets, evaluation, item2vec, policy, tables

STORE = "online_retail"


def lines_from(baskets: dict[str, tuple[str, str, list[str]]]) -> pd.DataFrame:
    """basket_key -> (customer_key, ordered_at, items)."""
    rows = [
        {"customer_key": customer, "basket_key": basket, "ordered_at": pd.Timestamp(at), "item_key": item}
        for basket, (customer, at, items) in baskets.items()
        for item in items
    ]
    return pd.DataFrame(rows)


def basket_relation(lines: pd.DataFrame) -> duckdb.DuckDBPyRelation:
    """lines_from's lines as baskets.basket_items gives them: a DuckDB relation."""
    frame = lines.assign(store=STORE, order_day=lines["ordered_at"].dt.date)
    return duckdb.connect().from_df(frame[["store", "basket_key", "customer_key", "order_day", "item_key"]])


def counts_of(lines: pd.DataFrame) -> pd.DataFrame:
    """Baskets per customer and item of lines_from's lines, counted in DuckDB."""
    return baskets.customer_item_counts(basket_relation(lines), STORE)


def rules_of(lines: pd.DataFrame, min_support: float, min_pair_baskets: int, max_consequents: int) -> pd.DataFrame:
    """The association rules of lines_from's baskets, pairs counted in DuckDB."""
    counts = baskets.rule_counts(basket_relation(lines), STORE, min_support, min_pair_baskets)
    return algorithms.rules_from_counts(*counts, max_consequents)


def test_interactions_count_baskets_and_order_items_by_popularity():
    lines = lines_from(
        {
            "b1": ("c1", "2020-01-01", ["x", "y"]),
            "b2": ("c1", "2020-01-02", ["y"]),
            "b3": ("c2", "2020-01-03", ["y", "z"]),
        }
    )
    interactions = algorithms.interactions_from_counts(counts_of(lines))
    assert list(interactions.items) == ["y", "x", "z"]  # y: 2 customers; x, z: 1 (by key)
    assert list(interactions.customers) == ["c1", "c2"]
    assert interactions.matrix.toarray().tolist() == [[2, 1, 0], [1, 0, 1]]


def test_association_rules_support_confidence_lift():
    # 4 baskets: a+b twice, a alone, c alone.
    lines = lines_from(
        {
            "b1": ("c1", "2020-01-01", ["a", "b"]),
            "b2": ("c2", "2020-01-01", ["a", "b"]),
            "b3": ("c3", "2020-01-01", ["a"]),
            "b4": ("c4", "2020-01-01", ["c"]),
        }
    )
    rules = rules_of(lines, min_support=0.0, min_pair_baskets=1, max_consequents=5)
    a_to_b = rules[(rules.antecedent_key == "a") & (rules.consequent_key == "b")].iloc[0]
    b_to_a = rules[(rules.antecedent_key == "b") & (rules.consequent_key == "a")].iloc[0]
    assert a_to_b.support == pytest.approx(2 / 4)
    assert a_to_b.confidence == pytest.approx(2 / 3)
    assert b_to_a.confidence == pytest.approx(1.0)
    # lift = P(a,b) / (P(a) P(b)) = 0.5 / (0.75 * 0.5)
    assert a_to_b.lift == pytest.approx(0.5 / (0.75 * 0.5))
    assert b_to_a.lift == pytest.approx(a_to_b.lift)
    assert len(rules) == 2  # c is never bought with anything
    strict = rules_of(lines, min_support=0.6, min_pair_baskets=1, max_consequents=5)
    assert strict.empty


def test_item_item_similarity_is_cosine_without_diagonal():
    lines = lines_from(
        {
            "b1": ("c1", "2020-01-01", ["a", "b"]),
            "b2": ("c2", "2020-01-01", ["a"]),
            "b3": ("c3", "2020-01-01", ["b", "c"]),
        }
    )
    interactions = algorithms.interactions_from_counts(counts_of(lines))
    similarity = algorithms.item_item_similarity(interactions.binary).toarray()
    index = {item: i for i, item in enumerate(interactions.items)}
    assert similarity[index["a"], index["b"]] == pytest.approx(1 / np.sqrt(2 * 2))
    assert similarity[index["a"], index["c"]] == 0
    assert np.allclose(np.diag(similarity), 0)
    assert np.allclose(similarity, similarity.T)


def test_top_k_breaks_ties_towards_popular_columns_and_excludes():
    from scipy import sparse

    scores = np.array([[0.0, 1.0, 1.0, 0.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]])
    exclude = sparse.csr_matrix(np.array([[0, 0, 0, 0, 1], [1, 0, 0, 0, 0]]))
    columns, values = algorithms.top_k(scores, 3, exclude)
    assert columns.tolist() == [[1, 2, 0], [1, 2, 3]]
    assert values[0].tolist() == [1.0, 1.0, 0.0]


def two_taste_lines(customers_per_taste: int = 30) -> pd.DataFrame:
    """Two groups of customers with disjoint tastes (a* vs b* items) over two baskets each,
    plus a popular item p everyone buys in the first basket."""
    baskets = {}
    for taste in ("a", "b"):
        for n in range(customers_per_taste):
            customer = f"{taste}{n:03d}"
            first = [f"{taste}{(n + i) % 6}" for i in range(3)] + ["p"]
            second = [f"{taste}{(n + 3) % 6}"]
            baskets[f"{customer}-1"] = (customer, "2020-01-01", first)
            baskets[f"{customer}-2"] = (customer, "2020-02-01", second)
    return lines_from(baskets)


RULES = {"min_support": 0.0, "min_pair_baskets": 1, "max_consequents": 5}


def day(text: str) -> dt.date:
    return pd.Timestamp(text).date()


def evaluate(
    lines: pd.DataFrame,
    cutoff: str,
    k: int,
    data_end: str = "2030-01-01",
    max_customers: int = 10**6,
    fit_max_customers: int | None = None,
    fit_max_items: int | None = None,
    **settings,
) -> pd.DataFrame:
    """evaluate_baskets and compare_with_baselines on lines split at `cutoff`."""
    result = evaluation.evaluate_baskets(
        basket_relation(lines),
        STORE,
        day(cutoff),
        day(data_end),
        k,
        settings.get("rules", RULES),
        settings.get("n_components", 2),
        seed=1,
        max_customers=max_customers,
        fit_max_customers=fit_max_customers,
        fit_max_items=fit_max_items,
    )
    if result.metrics.empty:
        return result.metrics
    return evaluation.compare_with_baselines(result.metrics, result.customer_hits, seed=1).assign(
        held_out_customers=result.held_out_customers,
        sampled_customers=result.sampled_customers,
        training_customers=result.training_customers,
        fitted_customers=result.fitted_customers,
        training_items=result.training_items,
        fitted_items=result.fitted_items,
    )


def test_split_by_date_holds_out_later_lines_of_customers_with_history():
    lines = lines_from(
        {
            "b1": ("c1", "2020-01-01", ["x"]),
            "b2": ("c1", "2020-01-05", ["y"]),  # c1's last basket, before the cutoff: training
            "b3": ("c2", "2020-01-03", ["z"]),
            "b4": ("c2", "2020-02-03", ["x"]),  # after the cutoff: held out
            "b5": ("c3", "2020-02-04", ["x"]),  # no history before the cutoff: left out
            "b6": ("c2", "2020-03-02", ["y"]),  # after the data end (incomplete days): left out
        }
    )
    relation = basket_relation(lines)
    cutoff, data_end = day("2020-01-31"), day("2020-03-01")
    held_out = relation.query("baskets", baskets.held_out_query(STORE, cutoff, data_end)).fetchnumpy()
    assert held_out["customer_key"].tolist() == ["c2"]
    train = baskets.customer_item_counts(relation, STORE, through=cutoff)
    assert train.values.tolist() == [["c1", "x", 1], ["c1", "y", 1], ["c2", "z", 1]]
    test = baskets.customer_item_counts(relation, STORE, after=cutoff, through=data_end)
    assert test.values.tolist() == [["c2", "x", 1], ["c3", "x", 1]]


def test_evaluation_scores_a_seeded_hash_sample_of_the_held_out_customers():
    lines = two_taste_lines()
    full = evaluate(lines, "2020-01-15", k=2, n_components=4)
    sampled = evaluate(lines, "2020-01-15", k=2, n_components=4, max_customers=25)
    assert (full.held_out_customers == 60).all() and (full.sampled_customers == 60).all()
    assert (sampled.held_out_customers == 60).all() and (sampled.sampled_customers == 25).all()
    assert (sampled.evaluated_customers == 25).all()
    again = evaluate(lines, "2020-01-15", k=2, n_components=4, max_customers=25)
    pd.testing.assert_frame_equal(sampled, again)


def test_evaluation_fits_on_a_seeded_sample_of_at_most_the_fit_cap(capsys):
    lines = two_taste_lines()
    full = evaluate(lines, "2020-01-15", k=2, n_components=4)
    assert (full.training_customers == 60).all() and (full.fitted_customers == 60).all()
    capsys.readouterr()
    capped = evaluate(lines, "2020-01-15", k=2, n_components=4, fit_max_customers=20)
    assert (capped.training_customers == 60).all() and (capped.fitted_customers == 20).all()
    # The models learn from the 20 sampled, every held-out customer is still scored from all
    # their training baskets.
    assert "svd: fit on 20 customers" in capsys.readouterr().err
    assert (capped.evaluated_customers == full.evaluated_customers).all()
    assert not capped["catalogue_items"].gt(full["catalogue_items"]).any()
    again = evaluate(lines, "2020-01-15", k=2, n_components=4, fit_max_customers=20)
    pd.testing.assert_frame_equal(capped, again)
    uncapped = evaluate(lines, "2020-01-15", k=2, n_components=4, fit_max_customers=60)
    pd.testing.assert_frame_equal(uncapped, full)


def test_evaluation_fits_on_at_most_the_item_cap_and_below_it_changes_nothing():
    lines = two_taste_lines()
    full = evaluate(lines, "2020-01-15", k=2, n_components=4)
    capped = evaluate(lines, "2020-01-15", k=2, n_components=4, fit_max_items=3)
    training_items = full["training_items"].iloc[0]
    assert training_items > 3 and (full.fitted_items == training_items).all()
    assert (capped.training_items == training_items).all() and (capped.fitted_items == 3).all()
    assert (capped.catalogue_items == 3).all() and (capped.evaluated_customers == full.evaluated_customers).all()
    pd.testing.assert_frame_equal(capped, evaluate(lines, "2020-01-15", k=2, n_components=4, fit_max_items=3))
    # Caps at or above the data (the defaults on the real files): the same metrics as no cap.
    at_caps = evaluate(
        lines, "2020-01-15", k=2, n_components=4, fit_max_customers=60, fit_max_items=int(training_items)
    )
    pd.testing.assert_frame_equal(at_caps, full)


def test_fit_counts_sample_customers_and_keep_the_most_popular_items_in_duckdb():
    lines = two_taste_lines()
    relation = basket_relation(lines)
    everything = baskets.fit_counts(relation, STORE, None, None, None, seed=1)
    assert (everything.fitted_customers, everything.fitted_items) == (
        everything.training_customers,
        everything.training_items,
    )
    pd.testing.assert_frame_equal(everything.counts, counts_of(lines))
    capped = baskets.fit_counts(relation, STORE, None, 25, 2, seed=1)
    assert (capped.training_customers, capped.training_items) == (
        everything.training_customers,
        everything.training_items,
    )
    assert capped.fitted_customers <= 25 and capped.fitted_items == 2
    sampled = baskets.fit_counts(relation, STORE, None, 25, None, seed=1).counts
    popular = algorithms.interactions_from_counts(sampled).items[:2]
    assert sorted(capped.counts["item_key"].unique()) == sorted(popular)
    # In or out by its key alone: a larger sample keeps every customer of the smaller one.
    larger = baskets.fit_counts(relation, STORE, None, 40, None, seed=1).counts
    assert set(sampled["customer_key"]) < set(larger["customer_key"])
    assert set(baskets.fit_counts(relation, STORE, None, 25, None, seed=2).counts["customer_key"]) != set(
        sampled["customer_key"]
    )


def rules_in_pandas(
    lines: pd.DataFrame, min_support: float, min_pair_baskets: int, max_consequents: int
) -> pd.DataFrame:
    """The rules with the pairs counted by a sparse basket x item product (the warehouse's
    code before it counted them in DuckDB): the reference of the DuckDB counts."""
    pairs = lines[["basket_key", "item_key"]].drop_duplicates()
    basket_codes, basket_keys = pd.factorize(pairs["basket_key"], sort=True)
    item_codes, item_keys = pd.factorize(pairs["item_key"], sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(pairs)), (basket_codes, item_codes)), shape=(len(basket_keys), len(item_keys))
    )
    co_baskets = sparse.triu((matrix.T @ matrix).tocsr(), k=1).tocoo()
    keep = co_baskets.data >= algorithms.pair_threshold(len(basket_keys), min_support, min_pair_baskets)
    pair_counts = pd.DataFrame(
        {
            "first_key": item_keys[co_baskets.row[keep]],
            "second_key": item_keys[co_baskets.col[keep]],
            "pair_baskets": co_baskets.data[keep].astype(int),
        }
    )
    item_baskets = pd.Series(np.asarray(matrix.sum(axis=0)).ravel().astype(int), index=item_keys)
    return algorithms.rules_from_counts(pair_counts, item_baskets, len(basket_keys), max_consequents)


def test_rules_counted_in_duckdb_equal_the_rules_counted_in_pandas():
    rng = np.random.default_rng(5)
    rows = {
        f"b{n:03d}": (f"c{n % 17}", "2020-01-01", list(rng.choice([f"i{m}" for m in range(12)], size=4)))
        for n in range(300)
    }
    lines = lines_from(rows)
    sizes = []
    for min_support, min_pair_baskets in ((0.0, 1), (0.1, 5), (0.5, 5)):
        in_pandas = rules_in_pandas(lines, min_support, min_pair_baskets, max_consequents=20)
        in_duckdb = rules_of(lines, min_support, min_pair_baskets, max_consequents=20)
        pd.testing.assert_frame_equal(in_duckdb, in_pandas, check_dtype=False)
        sizes.append(len(in_pandas))
    assert sizes[0] > sizes[1] > 0 and sizes[2] == 0


def test_basket_items_and_category_best_sellers_in_duckdb():
    connection = duckdb.connect()
    lines = pd.DataFrame(
        {
            "store": "olist",
            "order_key": ["o1", "o1", "o2", "o3"],
            "customer_key": ["c1", "c1", "c2", None],
            "ordered_at": pd.to_datetime(
                ["2020-01-01 10:00", "2020-01-01 10:00", "2020-01-02 09:00", "2020-01-03 08:00"]
            ),
            "product_key": ["p1", "p1", "p2", "p3"],
        }
    )
    products = pd.DataFrame(
        {"product_key": ["p1", "p2", "p3"], "product_name": "x", "category_name_english": ["toys", None, "toys"]}
    )
    items = baskets.basket_items(connection.from_df(lines), connection.from_df(products), "category")
    rows = items.order("basket_key").fetchall()
    assert rows == [
        ("olist", "o1", "c1", dt.date(2020, 1, 1), "toys"),
        ("olist", "o2", "c2", dt.date(2020, 1, 2), policy.NO_CATEGORY),
        ("olist", "o3", None, dt.date(2020, 1, 3), "toys"),
    ]
    best = baskets.category_best_sellers(connection.from_df(lines), connection.from_df(products), "olist")
    assert best.to_dict() == {"toys": "p1", policy.NO_CATEGORY: "p2"}


def test_collaborative_filtering_beats_popularity_when_tastes_differ():
    lines = two_taste_lines()
    metrics = evaluate(
        lines,
        "2020-01-15",
        k=2,
        rules={"min_support": 0.0, "min_pair_baskets": 2, "max_consequents": 20},
        n_components=4,
    )
    new_items = metrics[metrics.protocol == "new_items"].set_index("method")
    assert new_items.loc["item_item_cf", "hit_rate_at_k"] > new_items.loc["popularity", "hit_rate_at_k"]
    assert new_items.loc["item_item_cf", "hit_rate_at_k"] >= 0.5
    assert new_items.loc["item_item_cf", "verdict"] == "better than popularity"
    assert new_items.loc["item_item_cf", "hit_rate_gain_lower_95"] > 0
    assert (metrics.evaluated_customers == 60).all()
    assert metrics.precision_at_k.between(0, 1).all() and metrics.coverage.between(0, 1).all()
    # Precision at k is at most hit rate (a hit customer has >= 1 of k right), and >= hit/k.
    assert (metrics.precision_at_k <= metrics.hit_rate_at_k + 1e-12).all()
    assert (metrics.precision_at_k >= metrics.hit_rate_at_k / 2 - 1e-12).all()


def test_evaluation_is_empty_without_customers_on_both_sides_of_the_cutoff():
    lines = lines_from({"b1": ("c1", "2020-01-01", ["x", "y"]), "b2": ("c2", "2020-02-01", ["y"])})
    assert evaluate(lines, "2020-01-15", 10).empty


def test_buy_again_is_the_baseline_to_beat_when_customers_rebuy():
    """Methodology: customers who re-buy their own items make buy-again far better than
    popularity when bought items may come back (all_items): a personalised method below it is
    'not better than buy_again', whatever its gain over popularity; the new_items protocol
    (what is served) has no buy-again row, and popularity is its baseline."""
    baskets = {}
    for n in range(40):
        customer = f"c{n:02d}"
        own = [f"own{n}", f"own{(n + 1) % 40}"]
        baskets[f"{customer}-1"] = (customer, "2020-01-01", [*own, "p"])
        baskets[f"{customer}-2"] = (customer, "2020-02-01", [own[0], f"new{n % 4}"])
    metrics = evaluate(lines_from(baskets), "2020-01-15", k=3)
    all_items = metrics[metrics.protocol == "all_items"].set_index("method")
    assert all_items.loc["buy_again", "hit_rate_at_k"] == 1.0
    assert (all_items.best_baseline == "buy_again").all()
    assert all_items.loc["buy_again", "verdict"] == "baseline"
    for method in ("item_item_cf", "svd", "association_rules", "popularity"):
        assert all_items.loc[method, "verdict"] == "not better than buy_again"
        assert not all_items.loc[method, "beats_best_baseline"]
        assert all_items.loc[method, "hit_rate_gain_lower_95"] <= all_items.loc[method, "hit_rate_vs_best_baseline"]
    new_items = metrics[metrics.protocol == "new_items"].set_index("method")
    assert "buy_again" not in new_items.index
    assert (new_items.best_baseline == "popularity").all()


def test_paired_gain_interval_is_seeded_and_brackets_the_gain():
    rng = np.random.default_rng(0)
    model = rng.random(400) < 0.6
    baseline = rng.random(400) < 0.5
    low, high = evaluation.paired_gain_interval(model, baseline, seed=3)
    assert (low, high) == evaluation.paired_gain_interval(model, baseline, seed=3)
    assert low < model.mean() - baseline.mean() < high
    # Paired: a model that differs from the baseline on one customer in 400 has an interval
    # of a few customers' width (resampled unpaired it would be about 0.14 wide).
    near = baseline.copy()
    near[0] = not near[0]
    near_low, near_high = evaluation.paired_gain_interval(near, baseline, seed=3)
    assert near_high - near_low <= 4 / 400
    assert evaluation.paired_gain_interval(baseline, baseline, seed=3) == (0.0, 0.0)


def test_store_evaluation_splits_by_date_at_the_data_end():
    """Methodology: the table's evaluation holds out the last holdout_days up to the store's
    data end: a repeat customer whose baskets all fall before the cutoff is not evaluated (the
    leave-last-basket-out protocol evaluated them), and lines after the data end are unused."""
    rows = []
    for n in range(30):
        rows.append(("o", f"c{n:02d}", "2020-01-01", f"p{n % 5}"))
        rows.append(("q", f"c{n:02d}", "2020-05-20", f"p{(n + 1) % 5}"))
    rows.append(("r", "old", "2020-01-01", "p1"))
    rows.append(("s", "old", "2020-01-10", "p2"))  # two baskets, both before the cutoff
    rows.append(("t", "c00", "2020-07-01", "p3"))  # after the data end
    lines = pd.DataFrame(rows, columns=["order_key", "customer_key", "ordered_at", "product_key"])
    lines["order_key"] = lines["order_key"] + lines["customer_key"]
    lines["ordered_at"] = pd.to_datetime(lines["ordered_at"])
    lines.insert(0, "store", "online_retail")
    products = pd.DataFrame(
        {"product_key": [f"p{n}" for n in range(5)], "product_name": "x", "category_name_english": None}
    )
    data_ends = pd.DataFrame({"store": ["online_retail"], "data_end_date": [pd.Timestamp("2020-06-01").date()]})
    connection = duckdb.connect()
    metrics = tables.recommendation_metrics(
        connection.from_df(lines),
        connection.from_df(products),
        data_ends,
        None,
        seed=1,
        max_customers=1000,
        fit_max_customers=1000,
        fit_max_items=1000,
        neural=True,
    )
    assert (metrics.train_end_date == pd.Timestamp("2020-03-03").date()).all()
    assert (metrics.test_end_date == pd.Timestamp("2020-06-01").date()).all()
    assert (metrics.evaluated_customers == 30).all()
    assert (metrics.held_out_customers == 30).all() and (metrics.sampled_customers == 30).all()
    assert (metrics.fitted_customers == metrics.training_customers).all() and (metrics.fit_max_customers == 1000).all()
    assert (metrics.fitted_items == metrics.training_items).all() and (metrics.training_items == 5).all()
    assert (metrics.fitted_items == metrics.catalogue_items).all() and (metrics.fit_max_items == 1000).all()
    assert set(metrics.method) == {"popularity", "buy_again", "association_rules", "item_item_cf", "svd", "item2vec"}
    assert set(metrics.loc[metrics.is_headline_protocol, "protocol"]) == {"new_items"}


def recommend(counts: pd.DataFrame, customers: np.ndarray, method: str, k: int, n_components: int, seed: int):
    """Fit `method` on all of `counts` and recommend k items to `customers` with it."""
    fitted = algorithms.fit_recommender(
        method, algorithms.interactions_from_counts(counts), pd.DataFrame(), n_components, seed
    )
    return algorithms.recommend(fitted, counts, customers, k)


def test_recommend_gives_new_items_ranked_and_fills_with_popularity():
    lines = two_taste_lines(10)
    customers = np.array(["a000", "b000", "newcomer"], dtype=object)
    table = recommend(counts_of(lines), customers, "item_item_cf", 5, 4, 1)
    assert set(table.customer_key) == set(customers)
    assert (table.groupby("customer_key").size() == 5).all()
    bought = lines.groupby("customer_key").item_key.agg(set)
    for customer, part in table.groupby("customer_key"):
        assert part.recommendation_rank.tolist() == [1, 2, 3, 4, 5]
        assert not set(part.item_key) & bought.get(customer, set())
        assert part.score.is_monotonic_decreasing
    # a000 bought a0..a3 and p: the a items it lacks come first, b items (linked only through
    # the popular p) after them.
    a_items = table[table.customer_key == "a000"]
    assert set(a_items.item_key.iloc[:2]) == {"a4", "a5"}
    assert (a_items.basis_item_key.iloc[:2] != "p").all()
    assert (a_items[a_items.source == "item_item_cf"].basis_item_key.notna()).all()
    newcomer = table[table.customer_key == "newcomer"]
    assert (newcomer.source == "popularity").all()
    assert newcomer.item_key.iloc[0] == "p"  # the most popular item


def test_recommend_is_deterministic_and_handles_no_customers():
    lines = two_taste_lines(8)
    customers = np.array(sorted(lines.customer_key.unique()), dtype=object)
    first = recommend(counts_of(lines), customers, "svd", 3, 3, 7)
    second = recommend(counts_of(lines.sample(frac=1, random_state=3)), customers, "svd", 3, 3, 7)
    pd.testing.assert_frame_equal(first, second)
    assert recommend(counts_of(lines), np.array([], dtype=object), "svd", 3, 3, 7).empty


def test_held_out_items_never_seen_in_training_count_as_misses():
    lines = lines_from(
        {
            "b1": ("c1", "2020-01-01", ["x", "y"]),
            "b2": ("c1", "2020-02-01", ["brand_new"]),
            "b3": ("c2", "2020-01-01", ["x", "y"]),
            "b4": ("c2", "2020-02-01", ["z"]),
            "b5": ("c3", "2020-01-01", ["z", "x"]),
        }
    )
    metrics = evaluate(lines, "2020-01-15", 3)
    popularity = metrics[(metrics.method == "popularity") & (metrics.protocol == "all_items")].iloc[0]
    # Both repeat customers are evaluated; only c2's z can be found (brand_new is unseen).
    assert popularity.evaluated_customers == 2
    assert popularity.hit_rate_at_k == pytest.approx(0.5)
    assert popularity.recall_at_k == pytest.approx(0.5)


def test_item2vec_recovers_planted_co_purchases():
    """Planted pairs: every customer buys both items of one of 8 pairs (x_i, y_i) and 3 random
    other items; each x_i's vector is closest (highest dot product, the skip-gram logit) to its
    partner y_i's, and the vectors are seeded."""
    rng = np.random.default_rng(0)
    baskets = {}
    for n in range(400):
        pair = n % 8
        noise = [f"z{j}" for j in rng.choice(30, size=3, replace=False)]
        baskets[f"c{n}-1"] = (f"c{n}", "2020-01-01", [f"x{pair}", *noise[:2]])
        baskets[f"c{n}-2"] = (f"c{n}", "2020-02-01", [f"y{pair}", noise[2]])
    train = algorithms.interactions_from_counts(counts_of(lines_from(baskets)))
    vectors = item2vec.item2vec_factors(train.binary, seed=3, training_pairs=100_000)
    assert np.array_equal(vectors, item2vec.item2vec_factors(train.binary, seed=3, training_pairs=100_000))
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    items = list(train.items)
    for pair in range(8):
        assert items[int(np.argmax(similarity[items.index(f"x{pair}")]))] == f"y{pair}"


def test_item2vec_beats_popularity_on_two_tastes_and_is_left_out_without_ml_neural():
    metrics = evaluate(two_taste_lines(), "2020-01-15", k=2)
    new_items = metrics[metrics.protocol == "new_items"].set_index("method")
    assert new_items.loc["item2vec", "hit_rate_at_k"] > new_items.loc["popularity", "hit_rate_at_k"]
    assert evaluation.methods_for(neural=False) == (
        "popularity",
        "buy_again",
        "association_rules",
        "item_item_cf",
        "svd",
    )
    assert evaluation.methods_for(neural=True)[-1] == "item2vec"


def test_item2vec_without_co_purchases_gives_no_vectors_and_ranks_by_popularity():
    binary = sparse.csr_matrix(np.eye(3))
    assert item2vec.item2vec_factors(binary, seed=1).shape == (3, 0)
    counts = pd.DataFrame({"customer_key": ["c1", "c2", "c3"], "item_key": ["a", "b", "c"], "baskets": 1})
    train = algorithms.interactions_from_counts(counts)
    scorer = algorithms.Scorer(algorithms.fit_recommender("item2vec", train, None, 2, 1), train)
    assert np.allclose(scorer.scores(np.array([0])), [[1 / 3, 1 / 3, 1 / 3]])


def test_product_recommendations_scored_in_chunks_of_customers_equal_one_chunk(monkeypatch):
    """Scoring chunk by chunk (each chunk's counts read from DuckDB by key range) gives the
    table of one chunk, every active customer included, a newcomer without history too."""
    from retail_warehouse.ml import registry as shared
    from retail_warehouse.ml.recommendations import registry

    rows = [
        ("online_retail", f"o{n}", f"c{n % 23:02d}", pd.Timestamp("2020-01-01") + pd.Timedelta(days=n), f"p{n % 7}")
        for n in range(120)
    ]
    lines = pd.DataFrame(rows, columns=["store", "order_key", "customer_key", "ordered_at", "product_key"])
    products = pd.DataFrame(
        {"product_key": [f"p{n}" for n in range(7)], "product_name": "x", "category_name_english": None}
    )
    connection = duckdb.connect()
    lines_relation, products_relation = connection.from_df(lines), connection.from_df(products)
    settings = registry.store_settings(
        STORE, neural=False, max_customers=1000, fit_max_customers=1000, fit_max_items=1000, seed=1
    )
    with baskets.store_basket_items(lines_relation, products_relation, STORE, settings.item_level) as items:
        fitted, _ = registry.fit_store(items, STORE, settings)
    registry_rows = pd.DataFrame(
        {"store": [STORE], "model_name": ["recommender"], "version": [1], "model_bytes": [shared.dump(fitted)]}
    )
    keys = [f"c{n:02d}" for n in range(23)] + ["newcomer"]
    customers = pd.DataFrame({"store": STORE, "customer_key": keys, "recency_days": 1})

    def table() -> pd.DataFrame:
        return tables.product_recommendations(lines_relation, products_relation, customers, registry_rows)

    whole = table()
    monkeypatch.setattr(tables, "SCORING_CHUNK_CUSTOMERS", 5)
    chunked = table()
    pd.testing.assert_frame_equal(chunked, whole)
    assert set(whole["customer_key"]) == set(keys)
    sizes = whole.groupby("customer_key").size()
    assert sizes["newcomer"] == 7 and (sizes >= 1).all()  # 7 items, 10 asked: those new to each
