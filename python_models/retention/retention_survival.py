"""ml.retention_survival: Kaplan-Meier curves of the time from first to next order, per group."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.retention import tables


@measured
def model(dbt, session):
    return tables.retention_survival(
        tables.first_two_sale_days(dbt.ref("fct_orders"), dbt.ref("store_data_ends")),
        dbt.ref("store_data_ends").project(tables.END_DATE_COLUMNS).df(),
        dbt.ref("dim_customers").project("store, customer_key, country_name, state").order("customer_key").df(),
        dbt.ref("customer_rfm").project("customer_key, rfm_segment").order("customer_key").df(),
    )
