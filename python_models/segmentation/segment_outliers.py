"""ml.segment_outliers: the customers flagged as outliers inside their segment, with why."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables


@measured
def model(dbt, session):
    return tables.segment_outliers(
        dbt.ref("customer_segments")
        .project(
            "store, customer_key, customer_id, segment_id, segment_name, is_outlier, distance_to_centroid, "
            "outlier_threshold, most_deviating_feature, deviation"
        )
        .df(),
        dbt.ref("customer_features").project(tables.OUTLIER_COLUMNS).df(),
    )
