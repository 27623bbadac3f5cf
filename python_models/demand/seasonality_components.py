"""ml.seasonality_components: robust STL decomposition (trend, weekly season, residual and
its robust score) of every demand series' open days."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.seasonality_components(dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df())
