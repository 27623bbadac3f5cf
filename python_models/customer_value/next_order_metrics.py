"""ml.next_order_metrics: the expected next-order date checked out of time, transaction model
(median wait given an order within the window) against the best of "last order + median gap"
and "the store's median wait", chosen at an earlier cutoff. Logic:
retail_warehouse.ml.customer_value.next_order. The orders are read as one row per customer at each
cutoff, aggregated in DuckDB (tables.order_history: the BTYD summary, the purchase gaps and the
first order after the cutoff), never as lines; of the examples sample only its cutoffs and split.

Incremental (delete+insert by store): an evaluation is part of the fit, so a build runs it for the
stores customer_value_evaluation_decisions evaluates (a served model refitted; every store when
the table is built anew) and keeps the other stores' rows, those of their last evaluation."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="store")
    stores = tables.cv_registry.evaluated_stores(
        dbt.ref("customer_value_evaluation_decisions").project("store, evaluation_action").df(),
        table_is_new=not dbt.is_incremental,
    )
    if stores == ():
        return tables.nothing_evaluated(session, dbt.this, "next_order_metrics")
    return tables.next_order_metrics(
        tables.order_history(dbt.ref("fct_orders")),
        tables.of_stores(
            tables.sampled_example_relation(
                dbt.ref("customer_value_examples"),
                seed=int(dbt.config.get("seed")),
                max_fit_customers=int(dbt.config.get("max_fit_customers")),
                max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
                columns=tables.SAMPLED_SPLIT_COLUMNS,
            ),
            stores,
        )
        .project(tables.SPLIT_COLUMNS)
        .distinct()
        .df(),
        dbt.ref("customer_value_metrics").project(tables.VALUE_METRIC_COLUMNS).df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
        seed=int(dbt.config.get("seed")),
    )
