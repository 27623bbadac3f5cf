"""ml_registry.segmentation_models: one row per segmentation model fitted, per store and version,
with its metadata and the fitted model itself (model_bytes). Incremental: a build appends the
models it fits (the stores segmentation_refit_decisions says to refit; every store when the
table is built anew) and keeps the earlier versions."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import scheduled, tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    dbt.config(materialized="incremental")
    decisions = dbt.ref("segmentation_refit_decisions").df()
    previous = {}
    if dbt.is_incremental:
        previous = dict(session.sql(f"select store, max(version) from {dbt.this} group by store").fetchall())
    table = scheduled.fit_registered(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        decisions,
        previous,
        SegmentationConfig(
            seed=int(dbt.config.get("seed")),
            fit_sample_size=int(dbt.config.get("fit_sample_size")),
            pairwise_sample_size=int(dbt.config.get("pairwise_sample_size")),
        ),
        refit_every_store=not dbt.is_incremental,
    )
    if table.empty and dbt.is_incremental:
        # Nothing fitted: no rows, in the table's own types.
        return session.sql(f"select * from {dbt.this} where false")
    return table
