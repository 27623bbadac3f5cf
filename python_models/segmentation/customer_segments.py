"""ml.customer_segments: every customer of customer_features once, in a segment of the model
chosen in segmentation_model_selection (refitted the same way, same seed)."""

from retail_warehouse.ml.segmentation import SegmentationConfig
from retail_warehouse.ml.segmentation_models import customer_segments


def model(dbt, session):
    config = SegmentationConfig(seed=int(dbt.config.get("seed")))
    return customer_segments(
        dbt.ref("customer_features").df(),
        dbt.ref("customer_rfm").df(),
        dbt.ref("segmentation_model_selection").df(),
        config,
    )
