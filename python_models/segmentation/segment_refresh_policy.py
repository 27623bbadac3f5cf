"""ml.segment_refresh_policy: the refresh cadence and maintenance contract per store, from
segment_stability."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables


@measured
def model(dbt, session):
    return tables.segment_refresh_policy(
        dbt.ref("segment_stability")
        .project("store, comparison, elapsed_months, comparisons, mean_ari, ari_ci_lower, ari_ci_upper")
        .df(),
        dbt.ref("segmentation_model_selection").project("store, method, k, is_chosen").df(),
        threshold=float(dbt.config.get("ari_threshold")),
        refit_days=int(dbt.config.get("refit_days")),
    )
