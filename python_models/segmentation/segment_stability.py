"""ml.segment_stability: ARI of the chosen segmentation on rolling monthly snapshots (per
elapsed month) and on bootstrap refits (retail_warehouse.ml.segmentation.stability)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    return tables.segment_stability(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("customer_feature_snapshots").project(tables.SNAPSHOT_COLUMNS),
        dbt.ref("segmentation_model_selection").project("store, method, k, eps, min_samples, is_chosen").df(),
        SegmentationConfig(
            seed=int(dbt.config.get("seed")),
            fit_sample_size=int(dbt.config.get("fit_sample_size")),
            pairwise_sample_size=int(dbt.config.get("pairwise_sample_size")),
        ),
        threshold=float(dbt.config.get("ari_threshold")),
        bootstrap_resamples=int(dbt.config.get("bootstrap_resamples")),
    )
