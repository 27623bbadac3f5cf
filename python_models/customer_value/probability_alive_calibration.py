"""ml.probability_alive_calibration: P(alive) of BG/NBD and MBG/NBD at the validation cutoff in
10 bins against the share of customers active in the next horizon. Logic:
retail_warehouse.ml.customer_value.tables."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.probability_alive_calibration(
        tables.sale_order_relation(dbt.ref("fct_orders")).df(),
        dbt.ref("customer_value_examples").project(tables.EXAMPLE_COLUMNS).df(),
    )
