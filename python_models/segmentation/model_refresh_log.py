"""ml.model_refresh_log: one row per build and model/store, refitted or scored, why, duration
and peak memory. Incremental: every build appends its rows."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import scheduled


@measured
def model(dbt, session):
    dbt.config(materialized="incremental")
    decisions = dbt.ref("segmentation_refit_decisions").df()
    registry_rows = dbt.ref("segmentation_models").project("store, version, build_id, refit_reason").df()
    # After the scoring: its figures are part of the row.
    dbt.ref("customer_segments")
    fitted_now = registry_rows[registry_rows["build_id"].isin(decisions["build_id"])]
    return scheduled.refresh_log(decisions, fitted_now, registry_rows)
