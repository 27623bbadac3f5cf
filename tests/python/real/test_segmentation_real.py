"""The segmentation tables (python_models/segmentation/) of the build on the real files."""

from __future__ import annotations

from helpers import check_segmentation_tables

from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


def test_real_build_segments_every_customer_once(real_build):
    chosen = check_segmentation_tables(real_build)
    assert set(chosen) == {"online_retail", "olist"}
    olist = dict(real_build.query("select feature, is_used from ml.segmentation_features where store = 'olist'"))
    # Reviews are missing from the real files; 97% of Olist customers order once.
    assert olist["mean_review_score"] is False and olist["frequency"] is False
    assert olist["late_delivery_share"] is True


def test_real_rolling_stability_covers_every_elapsed_month_of_the_snapshots(real_build):
    """One rolling_snapshot row per elapsed month between two monthly snapshots that are large
    enough to refit the chosen model (max(min_customers, 5 k) customers), recounted from
    marts.customer_feature_snapshots."""
    expected = real_build.query(
        """
        with chosen as (
            select store, k from ml.segmentation_model_selection where is_chosen
        ),
        usable as (
            select snapshots.store, snapshots.as_of_date
            from marts.customer_feature_snapshots as snapshots
            inner join chosen using (store)
            group by snapshots.store, snapshots.as_of_date, chosen.k
            having count(*) >= greatest(?, 5 * chosen.k)
        )
        select earlier.store, count(distinct datediff('month', earlier.as_of_date, later.as_of_date))
        from usable as earlier
        inner join usable as later on earlier.store = later.store and earlier.as_of_date < later.as_of_date
        group by earlier.store order by 1
        """,
        [SegmentationConfig(seed=0).min_customers],
    )
    rolling = real_build.query(
        "select store, count(*) from ml.segment_stability where comparison = 'rolling_snapshot' group by 1 order by 1"
    )
    # Plus one elapsed-0 row per store: the refit noise the drift curve is read against.
    assert rolling == [(store, count + 1) for store, count in expected]
    # Olist's snapshots span 2016-10 to 2018-09, Online Retail's 2011-01 to 2011-12.
    assert dict(rolling)["olist"] > dict(rolling)["online_retail"] >= 10
