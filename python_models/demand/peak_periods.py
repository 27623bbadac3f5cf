"""ml.peak_periods: the days and hours in the top demand decile of each store, past (actual)
and forecast."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.peak_periods(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        dbt.ref("demand_forecast")
        .project("store, series_id, forecast_date, day_status, point_forecast, upper_80")
        .df(),
        dbt.ref("fct_orders")
        .filter("order_type = 'sale'")
        .aggregate(
            "store, order_date as period_date, cast(hour(ordered_at) as integer) as hour_of_day, count(*) as order_count",
            "store, order_date, hour(ordered_at)",
        )
        .df(),
        dbt.ref("sales_hour_weekday").project("store, iso_day_of_week, hour_of_day, order_count").df(),
    )
