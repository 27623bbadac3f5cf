"""ml.customer_value_model_fits: BG/NBD, MBG/NBD and Gamma-Gamma parameters with standard errors
and the checks of each fit. Logic: retail_warehouse.ml.customer_value.btyd and .tables. The fits
read each customer's frequency / recency / age / repeat value at the cutoff, computed in DuckDB
(tables.duckdb_summaries): one row per customer, never the orders.

Incremental (delete+insert by store): these fits are part of the fit, so a build runs them for the
stores customer_value_evaluation_decisions evaluates (a served model refitted; every store when
the table is built anew) and for those whose data end moved (the scoring fits are as of the day
after it: tables.model_fit_stores), and keeps the other stores' rows."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", incremental_strategy="delete+insert", unique_key="store")
    data_ends = dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df()
    stores = tables.model_fit_stores(
        tables.cv_registry.evaluated_stores(
            dbt.ref("customer_value_evaluation_decisions").project("store, evaluation_action").df(),
            table_is_new=not dbt.is_incremental,
        ),
        session.sql(f"select store, as_of_date from {dbt.this} where fit_purpose = 'scoring'").df()
        if dbt.is_incremental
        else None,
        data_ends,
    )
    if stores == ():
        return tables.nothing_evaluated(session, dbt.this, "customer_value_model_fits")
    return tables.customer_value_model_fits(
        tables.of_stores(dbt.ref("customer_features"), stores).project("store").distinct().df(),
        None,
        tables.of_stores(dbt.ref("customer_value_examples"), stores).project(tables.SPLIT_COLUMNS).distinct().df(),
        data_ends,
        summary_of=tables.duckdb_summaries(tables.sale_order_relation(dbt.ref("fct_orders"))),
    )
