"""ml.churn_calibration: calibration bins of every classifier on the out-of-time validation
rows.

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
        return tables.nothing_evaluated(session, dbt.this, "churn_calibration")
    return tables.churn_calibration(
        tables.of_stores(dbt.ref("churn_validation_predictions"), stores)
        .project("store, model_name, is_positive, probability")
        .df()
    )
