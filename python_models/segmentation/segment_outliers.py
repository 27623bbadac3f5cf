"""ml.segment_outliers: the customers flagged as outliers inside their segment, with why."""

from retail_warehouse.ml.segmentation_models import segment_outliers


def model(dbt, session):
    return segment_outliers(dbt.ref("customer_segments").df(), dbt.ref("customer_features").df())
