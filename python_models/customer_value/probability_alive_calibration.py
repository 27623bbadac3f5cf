"""ml.probability_alive_calibration: P(alive) of BG/NBD and MBG/NBD at the validation cutoff in
10 bins against the share of customers active in the next horizon. Logic:
retail_warehouse.ml.customer_value.tables. The fits read the customers' summary computed in
DuckDB (tables.btyd_summary_relation); the bins are over a seeded sample of at most var
ml_evaluation_max_customers validation customers (tables.sampled_example_relation)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.probability_alive_calibration(
        None,
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        summary_of=tables.duckdb_summaries(tables.sale_order_relation(dbt.ref("fct_orders"))),
    )
