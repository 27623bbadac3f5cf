"""ml.segment_stability: ARI of the chosen segmentation on rolling monthly snapshots (per
elapsed month) and on bootstrap refits (retail_warehouse.ml.segmentation_stability)."""

from retail_warehouse.ml.segmentation import SegmentationConfig
from retail_warehouse.ml.segmentation_models import segment_stability


def model(dbt, session):
    config = SegmentationConfig(seed=int(dbt.config.get("seed")))
    return segment_stability(
        dbt.ref("customer_features").df(),
        dbt.ref("customer_feature_snapshots").df(),
        dbt.ref("segmentation_model_selection").df(),
        config,
        threshold=float(dbt.config.get("ari_threshold")),
        bootstrap_resamples=int(dbt.config.get("bootstrap_resamples")),
    )
