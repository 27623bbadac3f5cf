"""ml.experiment_assignments: customers of every experiment in seeds/experiment_definitions,
their variant and outcome."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.experiments import tables


@measured
def model(dbt, session):
    return tables.experiment_assignments(
        dbt.ref("experiment_definitions")
        .project("experiment_id, store, assigned_on, outcome_window_days, treatment_share, salt")
        .order("experiment_id")
        .df(),
        dbt.ref("fct_orders").filter(tables.SALE_ORDERS).project(tables.ORDER_COLUMNS),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
    )
