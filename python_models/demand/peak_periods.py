"""ml.peak_periods: the days and hours in the top demand decile of each store, past (actual)
and forecast."""

from retail_warehouse.ml.capacity import hour_shares, hourly_forecast
from retail_warehouse.ml.seasonality import peak_periods


def model(dbt, session):
    dbt.config(materialized="table")
    forecast = dbt.ref("demand_forecast").df()
    hourly_actual = (
        dbt.ref("fct_orders")
        .filter("order_type = 'sale'")
        .aggregate(
            "store, order_date as period_date, cast(hour(ordered_at) as integer) as hour_of_day, count(*) as order_count",
            "store, order_date, hour(ordered_at)",
        )
        .df()
    )
    hourly_actual["period_date"] = hourly_actual["period_date"].dt.date
    hours = hourly_forecast(
        forecast[forecast["series_id"] == "orders|overall|all"], hour_shares(dbt.ref("sales_hour_weekday").df())
    )
    return peak_periods(dbt.ref("demand_series").df(), forecast, hourly_actual, hours)
