"""ml_registry.anomaly_models: one row per anomaly detector model fitted (per store, model and
version), with its metadata and the fitted detectors themselves (model_bytes). Incremental: a
build appends the models it fits (those anomaly_refit_decisions says to refit; every one when the
table is built anew) and keeps the earlier versions."""

from retail_warehouse.ml import registry as shared_registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import registry as anomaly_registry
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", on_schema_change="append_new_columns")
    decisions = dbt.ref("anomaly_refit_decisions").df()
    previous = shared_registry.registered_versions(dbt, session)
    table = anomaly_registry.fit_registered(
        anomaly_registry.store_inputs(
            dbt.ref("fct_orders").project(tables.ORDER_COLUMNS).df(),
            dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        ),
        decisions,
        previous,
        settings=tables.detector_settings(
            contamination=dbt.config.get("contamination"),
            svm_sample_size=dbt.config.get("svm_sample_size"),
            autoencoder_sample_size=dbt.config.get("autoencoder_sample_size"),
            seed=dbt.config.get("seed"),
            neural=dbt.config.get("neural"),
        ),
        refit_everything=not dbt.is_incremental,
    )
    if table.empty and dbt.is_incremental:
        # Nothing fitted: no rows, in the table's own types.
        return session.sql(f"select * from {dbt.this} where false")
    return table
