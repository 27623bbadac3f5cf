"""ml.segmentation_features: which customer features the segmentation uses per store, and why
(retail_warehouse.ml.segmentation_features)."""

from retail_warehouse.ml.segmentation import SegmentationConfig
from retail_warehouse.ml.segmentation_models import segmentation_features


def model(dbt, session):
    config = SegmentationConfig(seed=int(dbt.config.get("seed")))
    return segmentation_features(dbt.ref("customer_features").df(), config)
