"""ml.retention_group_summary: median time to next order and survival at fixed horizons per
group, read off the Kaplan-Meier curves of ml.retention_survival."""

from retail_warehouse.ml.common import measured_model
from retail_warehouse.ml.retention import tables


def model(dbt, session):
    with measured_model(dbt.this.identifier):
        return tables.retention_group_summary(
            dbt.ref("retention_survival")
            .project("store, dimension, group_value, time_days, at_risk, events, survival")
            .order("store, dimension, group_value, time_days")
            .df()
        )
