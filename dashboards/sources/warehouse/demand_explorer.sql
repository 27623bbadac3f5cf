-- Every demand series of each store day by day, for the Demand page (its store / series /
-- period explorer, and the chart of the overall orders' last 180 days and forecast): the
-- observed value and the chosen model's forecast with its 80% and 95% intervals.
with observed as (
    select
        store,
        series_id,
        series_date as day,
        actual_value
    from ml.demand_series
),

forecast as (
    select
        store,
        series_id,
        forecast_date as day,
        model_name,
        point_forecast,
        lower_80,
        upper_80,
        lower_95,
        upper_95
    from ml.demand_forecast
)

select
    coalesce(observed.store, forecast.store) as store,
    coalesce(observed.series_id, forecast.series_id) as series_id,
    coalesce(observed.day, forecast.day) as day,
    observed.actual_value,
    forecast.model_name,
    forecast.point_forecast,
    forecast.lower_80,
    forecast.upper_80,
    forecast.lower_95,
    forecast.upper_95
from observed
full outer join forecast
    on observed.store = forecast.store and observed.series_id = forecast.series_id and observed.day = forecast.day
