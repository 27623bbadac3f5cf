"""ml.segment_stability: ARI of the chosen segmentation on rolling monthly snapshots (per
elapsed month) and on bootstrap refits (retail_warehouse.ml.segmentation.stability).

Incremental (delete+insert by store): the study is part of a fit, so a build measures it for
the stores whose model it registered (ml_registry.segmentation_models rows of this build) and
keeps the other stores' rows, those of their registered model."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="store")
    decisions = dbt.ref("segmentation_refit_decisions").project("build_id").df()
    registry_rows = dbt.ref("segmentation_models").project("store, build_id").df()
    stores = None
    if dbt.is_incremental:
        build_ids = decisions["build_id"].unique().tolist()
        stores = set(registry_rows.loc[registry_rows["build_id"].isin(build_ids), "store"])
        if not stores:
            # Nothing refitted on this build: no rows, in the table's own types.
            return session.sql(f"select * from {dbt.this} where false")
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
        stores=stores,
    )
