"""ml.product_recommendations, ml.product_associations and ml.recommendation_metrics of the
synthetic build."""

from __future__ import annotations

import pytest


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
