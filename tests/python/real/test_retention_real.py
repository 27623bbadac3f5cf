"""ml.retention_group_summary of the build on the real files."""

from __future__ import annotations


def test_real_medians(real_build):
    summary = {
        (store, dimension, group): (median, customers)
        for store, dimension, group, median, customers in real_build.query(
            "select store, dimension, group_value, median_days, customers from ml.retention_group_summary"
        )
    }
    online_retail_median, online_retail_customers = summary[("online_retail", "overall", "all customers")]
    assert online_retail_customers > 4000
    assert online_retail_median is not None and 30 < online_retail_median < 365
    # About 97% of Olist customers never order again: the median is undefined (null).
    olist_median, olist_customers = summary[("olist", "overall", "all customers")]
    assert olist_median is None and olist_customers > 90000
