"""ml.customer_segments: every customer of customer_features once, in a segment of the model
registered for its store in ml_registry.segmentation_models (the newest version: refitted on
this build when it was due, else loaded and used to score)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import registry, scheduled, tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    return scheduled.customer_segments(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("customer_rfm").project("customer_key, rfm_segment").df(),
        dbt.ref("segmentation_models").query("registry", registry.LATEST_MODELS).df(),
        SegmentationConfig(
            seed=int(dbt.config.get("seed")),
            fit_sample_size=int(dbt.config.get("fit_sample_size")),
            pairwise_sample_size=int(dbt.config.get("pairwise_sample_size")),
        ),
    )
