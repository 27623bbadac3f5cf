"""ml.demand_series: the daily demand series of every store on its explicit calendar (active
span, closed weekdays, closures), the input of the forecasting and seasonality models."""

from retail_warehouse.ml.demand_series import build_demand_series
from retail_warehouse.ml.progress import log_progress, timed_step


def model(dbt, session):
    dbt.config(materialized="table")
    top_n = int(dbt.config.get("top_series"))
    sales_daily = dbt.ref("sales_daily").filter("dimension in ('overall', 'country', 'category')").df()
    with timed_step("demand_series", "building the daily series"):
        series = build_demand_series(sales_daily, top_n)
    for store, rows in series.groupby("store"):
        closed = sorted(int(d) for d in rows.loc[rows["day_status"] == "closed_weekday", "iso_day_of_week"].unique())
        closures = rows.loc[rows["day_status"] == "closure", "series_date"].nunique()
        log_progress(
            "demand_series",
            f"{store}: {rows['series_id'].nunique()} series, {rows['series_date'].min()} to "
            f"{rows['series_date'].max()}, closed weekdays {closed}, {closures} closure days",
        )
    if series.empty:
        log_progress("demand_series", "no store has orders: no series")
    return series
