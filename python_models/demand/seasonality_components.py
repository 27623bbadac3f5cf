"""ml.seasonality_components: robust STL decomposition (trend, weekly season, residual and
its robust score) of every demand series' open days."""

from retail_warehouse.ml.progress import timed_step
from retail_warehouse.ml.seasonality import seasonality_components


def model(dbt, session):
    dbt.config(materialized="table")
    series = dbt.ref("demand_series").df()
    with timed_step("seasonality_components", "STL"):
        components = seasonality_components(series)
    return components
