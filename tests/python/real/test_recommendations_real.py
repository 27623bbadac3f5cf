"""ml.recommendation_metrics of the build on the real files."""

from __future__ import annotations


def test_real_online_retail_beats_popularity_on_hit_rate(real_build):
    rows = dict(
        real_build.query(
            """
            select protocol, hit_rate_at_k - (
                select hit_rate_at_k from ml.recommendation_metrics as baseline
                where baseline.store = metrics.store and baseline.item_level = metrics.item_level
                    and baseline.protocol = metrics.protocol and baseline.method = 'popularity')
            from ml.recommendation_metrics as metrics
            where store = 'online_retail' and is_serving_method
            """
        )
    )
    assert set(rows) == {"all_items", "new_items"}
    assert rows["all_items"] > 0.05 and rows["new_items"] > 0.05
    evaluated = real_build.scalar(
        "select min(evaluated_customers) from ml.recommendation_metrics where store = 'online_retail'"
    )
    assert evaluated > 2000  # customers with two or more invoices, about 2,800
