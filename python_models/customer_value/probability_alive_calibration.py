"""ml.probability_alive_calibration: P(alive) of BG/NBD and MBG/NBD at the validation cutoff in
10 bins against the share of customers active in the next horizon. Logic:
retail_warehouse.ml.customer_value.tables. The fits read the customers' summary computed in
DuckDB (tables.btyd_summary_relation); the bins are over a seeded sample of at most var
ml_evaluation_max_customers validation customers (tables.sampled_example_relation).

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
        return tables.nothing_evaluated(session, dbt.this, "probability_alive_calibration")
    return tables.probability_alive_calibration(
        None,
        tables.of_stores(
            tables.sampled_example_relation(
                dbt.ref("customer_value_examples"),
                seed=int(dbt.config.get("seed")),
                max_fit_customers=int(dbt.config.get("max_fit_customers")),
                max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
            ),
            stores,
        ).df(),
        summary_of=tables.duckdb_summaries(tables.sale_order_relation(dbt.ref("fct_orders"))),
    )
