"""Median time to next order and survival at fixed horizons per group, read off the
Kaplan-Meier curves of ml.retention_survival (ml.retention_group_summary)."""

from retail_warehouse.ml import survival
from retail_warehouse.ml.typed_tables import typed_table


def model(dbt, session):
    curves = dbt.ref("retention_survival").order("store, dimension, group_value, time_days").df()
    return typed_table([survival.summarise_curves(curves)], survival.SUMMARY_SCHEMA)
