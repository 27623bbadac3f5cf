"""ml.segmentation_features: which customer features the segmentation uses per store, and why
(retail_warehouse.ml.segmentation.features)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    return tables.segmentation_features(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        SegmentationConfig(
            seed=int(dbt.config.get("seed")),
            fit_sample_size=int(dbt.config.get("fit_sample_size")),
            pairwise_sample_size=int(dbt.config.get("pairwise_sample_size")),
        ),
    )
