"""ml.customer_value_metrics: out-of-time errors of the spend regressions (the PyTorch one
unless var ml_neural is false), BG/NBD + Gamma-Gamma and the baselines per store. Logic:
retail_warehouse.ml.customer_value.spend, .neural_spend and .btyd. The orders are read as one row
per customer at each cutoff, aggregated in DuckDB (tables.order_history: the BTYD summaries, the
recent activity before and the spend after the 12-month cutoff), never as lines; of the customer
snapshots only the one the 12-month value is evaluated at (tables.clv_snapshot_relation).

Incremental (delete+insert by store): an evaluation is part of the fit, so a build runs it for the
stores customer_value_evaluation_decisions evaluates (a served model refitted; every store when
the table is built anew) and keeps the other stores' rows, those of their last evaluation."""

from retail_warehouse.ml.common import measured, neural_enabled
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="store")
    stores = tables.cv_registry.evaluated_stores(
        dbt.ref("customer_value_evaluation_decisions").project("store, evaluation_action").df(),
        table_is_new=not dbt.is_incremental,
    )
    if stores == ():
        return tables.nothing_evaluated(session, dbt.this, "customer_value_metrics")
    return tables.customer_value_metrics(
        tables.of_stores(
            tables.sampled_example_relation(
                dbt.ref("customer_value_examples"),
                seed=int(dbt.config.get("seed")),
                max_fit_customers=int(dbt.config.get("max_fit_customers")),
                max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
            ),
            stores,
        ).df(),
        tables.of_stores(
            tables.clv_snapshot_relation(dbt.ref("customer_feature_snapshots"), dbt.ref("store_data_ends")), stores
        ).df(),
        tables.order_history(dbt.ref("fct_orders")),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        neural=neural_enabled(dbt.config.get("neural")),
        counts=tables.example_counts(dbt.ref("customer_value_examples")),
    )
