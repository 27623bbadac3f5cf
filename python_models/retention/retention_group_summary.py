"""ml.retention_group_summary: median time to next order and survival at fixed horizons per
group, read off the Kaplan-Meier curves of ml.retention_survival."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.retention import tables


@measured
def model(dbt, session):
    return tables.retention_group_summary(
        dbt.ref("retention_survival")
        .project("store, dimension, group_value, time_days, at_risk, events, survival")
        .order("store, dimension, group_value, time_days")
        .df()
    )
