"""ml.customer_value_model_fits: BG/NBD, MBG/NBD and Gamma-Gamma parameters with standard errors
and the checks of each fit (convergence, boundary, Hessian). Logic:
retail_warehouse.ml.customer_value.btyd and .tables."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.customer_value_model_fits(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        tables.sale_order_relation(dbt.ref("fct_orders")).df(),
        dbt.ref("customer_value_examples").project(tables.EXAMPLE_COLUMNS).df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
    )
