"""ml.customer_value_model_fits: BG/NBD, MBG/NBD and Gamma-Gamma parameters with standard errors
and the checks of each fit (convergence, boundary, Hessian). Logic:
retail_warehouse.ml.customer_value.btyd and .tables. The fits read each customer's
frequency / recency / age / repeat value at the cutoff, computed in DuckDB
(tables.btyd_summary_relation): one row per customer, never the orders."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.customer_value_model_fits(
        dbt.ref("customer_features").project("store").distinct().df(),
        None,
        dbt.ref("customer_value_examples").project(tables.SPLIT_COLUMNS).distinct().df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
        summary_of=tables.duckdb_summaries(tables.sale_order_relation(dbt.ref("fct_orders"))),
    )
