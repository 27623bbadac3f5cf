"""ml.seasonal_profiles: weekday, month and hour x weekday profiles of each store's orders and
net revenue, with the peak periods of each profile."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.seasonal_profiles(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        dbt.ref("sales_hour_weekday")
        .project("store, iso_day_of_week, hour_of_day, order_count, net_revenue_amount")
        .df(),
    )
