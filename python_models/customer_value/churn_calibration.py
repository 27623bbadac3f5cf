"""Calibration bins of every classifier on the out-of-time validation rows."""

from retail_warehouse.ml.value_tables import churn_calibration_table


def model(dbt, session):
    dbt.config(materialized="table")
    return churn_calibration_table(dbt.ref("churn_validation_predictions").df())
