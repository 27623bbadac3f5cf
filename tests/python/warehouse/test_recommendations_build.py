"""ml.product_recommendations, ml.product_associations and ml.recommendation_metrics of the
synthetic build."""

from __future__ import annotations

import duckdb
import pytest
from helpers import area_reruns_over_copies, require_success, run_dbt_build


def test_recommendations_are_ten_new_items_per_active_customer(synthetic_build):
    counts = synthetic_build.query(
        """
        select
            (select count(*) from marts.customer_features where recency_days <= 180),
            count(distinct store || customer_key),
            max(recommendation_rank),
            count(*) filter (where recommendation_rank = 1)
        from ml.product_recommendations
        """
    )[0]
    active, customers, max_rank, firsts = counts
    assert active > 0 and customers == active and firsts == active and max_rank == 10
    # Never a product the customer bought before (product-level store).
    already_bought = synthetic_build.scalar(
        """
        select count(*)
        from ml.product_recommendations as recommendations
        inner join marts.fct_order_lines as lines
            on recommendations.customer_key = lines.customer_key
            and recommendations.product_key = lines.product_key
            and lines.line_type = 'sale'
        where recommendations.item_level = 'product'
        """
    )
    assert already_bought == 0
    # Olist at category level: never a category the customer bought before.
    already_bought_category = synthetic_build.scalar(
        """
        select count(*)
        from ml.product_recommendations as recommendations
        inner join marts.fct_order_lines as lines
            on recommendations.customer_key = lines.customer_key
            and lines.line_type = 'sale' and lines.is_product
        inner join marts.dim_products as products
            on lines.product_key = products.product_key
        where recommendations.item_level = 'category'
            and coalesce(products.category_name_english, '(no category)') = recommendations.item_key
        """
    )
    assert already_bought_category == 0


def test_metrics_cover_every_method_and_store(synthetic_build):
    rows = synthetic_build.query(
        "select store, item_level, count(*), count(*) filter (where is_serving_method)"
        " from ml.recommendation_metrics group by all order by all"
    )
    stores = {store for store, *_ in rows}
    assert stores == {"olist", "online_retail"}
    for store, item_level, methods_x_protocols, serving in rows:
        # 6 methods (item2vec with var ml_neural, the default) under all_items; buy_again
        # has no new_items row.
        assert methods_x_protocols == 11, (store, item_level)
        expected_serving = 2 if (store, item_level) in {("online_retail", "product"), ("olist", "category")} else 0
        assert serving == expected_serving


def test_association_rules_recompute_from_baskets(synthetic_build):
    """support / confidence of the strongest Online Retail rule, recounted in SQL."""
    rule = synthetic_build.query(
        """
        select antecedent_key, consequent_key, support, confidence
        from ml.product_associations where store = 'online_retail'
        order by pair_baskets desc, antecedent_key, consequent_key limit 1
        """
    )
    # The synthetic data is fixed (conftest: seed 7, 20,000 lines): its Online Retail baskets
    # share pairs of products often enough for rules.
    assert rule, "no Online Retail rule on the fixed synthetic data"
    antecedent, consequent, support, confidence = rule[0]
    recount = synthetic_build.query(
        """
        with baskets as (
            select order_key, bool_or(product_key = ?) as has_a, bool_or(product_key = ?) as has_b
            from marts.fct_order_lines
            where store = 'online_retail' and line_type = 'sale' and is_product
            group by order_key
        )
        select count(*) filter (where has_a and has_b) / count(*),
            count(*) filter (where has_a and has_b) / count(*) filter (where has_a)
        from baskets
        """,
        [antecedent, consequent],
    )[0]
    assert support == pytest.approx(recount[0])
    assert confidence == pytest.approx(recount[1])


RECOMMENDERS_ONLY = (
    "--select",
    "recommendation_refit_decisions",
    "recommendation_metrics",
    "recommendation_models",
    "product_recommendations",
    "model_refresh_log",
)
# What a scored build must leave as the refit build made it: the evaluation (not run again) and
# the recommendations (the registered state over the same baskets).
RECOMMENDATION_TABLES = {
    table: f"select * from ml.{table} order by all" for table in ("recommendation_metrics", "product_recommendations")
}
RECOMMENDER_LOG = (
    "select store, model_name, action, reason, model_version, fit_seconds from ml.model_refresh_log "
    "where area = 'recommendations' "
    "and build_id = (select any_value(build_id) from ml_registry.recommendation_refit_decisions) order by all"
)
STORES = [("olist", "recommender"), ("online_retail", "recommender")]


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_recommenders_are_fitted_on_schedule_and_scored_otherwise(synthetic_build, tmp_path):
    """The fixture's build registered each store's serving recommender (refitted: none
    registered) and evaluated it; the recommendation models re-run over a copy of it (same
    inputs, not due) neither evaluate nor fit again and score with the registered state: the
    same ml.recommendation_metrics and ml.product_recommendations; var ml_refit: true over
    another copy refits (version 2) to the same tables; a registered model that cannot be loaded
    is refitted with the reason, the build passing. A selection does not publish, so the build
    copies are read."""
    first = {name: _query(synthetic_build.warehouse, sql) for name, sql in RECOMMENDATION_TABLES.items()}
    registered = _query(
        synthetic_build.warehouse,
        "select store, model_name, version, serving_method, validation_hit_rate is not null "
        "from ml_registry.recommendation_models order by all",
    )
    assert registered == [
        ("olist", "recommender", 1, "popularity", True),
        ("online_retail", "recommender", 1, "svd", True),
    ]
    log = _query(synthetic_build.warehouse, RECOMMENDER_LOG)
    assert [(store, name, action) for store, name, action, *_ in log] == [(*key, "refitted") for key in STORES]

    scored, refitted = area_reruns_over_copies(synthetic_build, tmp_path, RECOMMENDERS_ONLY)
    log = _query(scored.build_file, RECOMMENDER_LOG)
    assert [(store, name, action, version) for store, name, action, _, version, _ in log] == [
        (*key, "scored", 1) for key in STORES
    ], log
    assert all("not due before" in reason for *_, reason, _, _ in log)
    assert _query(scored.build_file, "select max(version) from ml_registry.recommendation_models") == [(1,)]
    for name, sql in RECOMMENDATION_TABLES.items():
        assert _query(scored.build_file, sql) == first[name], name

    log = _query(refitted.build_file, RECOMMENDER_LOG)
    assert {(action, version) for _, _, action, _, version, _ in log} == {("refitted", 2)}
    assert all("var ml_refit is true" in reason and seconds > 0 for *_, reason, _, seconds in log)
    # Same inputs, same seed: the refit is the same evaluation, model and recommendations.
    for name, sql in RECOMMENDATION_TABLES.items():
        assert _query(refitted.build_file, sql) == first[name], name

    corrupted = ("online_retail", "recommender")
    with duckdb.connect(str(scored.build_file)) as con:
        con.execute(
            "update ml_registry.recommendation_models set model_bytes = 'not a pickle'::blob "
            "where store = ? and model_name = ?",
            list(corrupted),
        )
    recovered = require_success(run_dbt_build(scored.build_file.parent.parent, extra_args=RECOMMENDERS_ONLY))
    log = {
        (store, name): (action, reason, version)
        for store, name, action, reason, version, _ in _query(recovered.build_file, RECOMMENDER_LOG)
    }
    action, reason, version = log[corrupted]
    assert (action, version) == ("refitted", 2) and "registered version 1 cannot be loaded" in reason
    assert {(action, version) for key, (action, _, version) in log.items() if key != corrupted} == {("scored", 1)}
    for name, sql in RECOMMENDATION_TABLES.items():
        assert _query(recovered.build_file, sql) == first[name], name
