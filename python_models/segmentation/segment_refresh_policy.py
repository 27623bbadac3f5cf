"""ml.segment_refresh_policy: the refresh cadence and maintenance contract per store, from
segment_stability."""

from retail_warehouse.ml.segmentation_models import segment_refresh_policy


def model(dbt, session):
    return segment_refresh_policy(
        dbt.ref("segment_stability").df(),
        dbt.ref("segmentation_model_selection").df(),
        threshold=float(dbt.config.get("ari_threshold")),
    )
