"""ml.customer_segments: every customer of customer_features once, in a segment of the model
chosen in segmentation_model_selection (refitted the same way, same seed)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    return tables.customer_segments(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("customer_rfm").project("customer_key, rfm_segment").df(),
        dbt.ref("segmentation_model_selection").project("store, method, k, eps, min_samples, is_chosen").df(),
        SegmentationConfig(
            seed=int(dbt.config.get("seed")),
            fit_sample_size=int(dbt.config.get("fit_sample_size")),
            pairwise_sample_size=int(dbt.config.get("pairwise_sample_size")),
        ),
    )
