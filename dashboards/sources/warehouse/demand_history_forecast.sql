-- The overall daily order series of each store: the last 180 days observed and the forecast
-- with its 80% and 95% intervals, in one table for the chart.
with observed as (
    select
        store,
        series_date as day,
        actual_value,
        max(series_date) over (partition by store) as last_observed_date
    from ml.demand_series
    where series_id = 'orders|overall|all'
),

forecast as (
    select
        store,
        forecast_date as day,
        model_name,
        point_forecast,
        lower_80,
        upper_80,
        lower_95,
        upper_95
    from ml.demand_forecast
    where series_id = 'orders|overall|all'
)

select
    coalesce(observed.store, forecast.store) as store,
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
    on observed.store = forecast.store and observed.day = forecast.day
where observed.day is null or observed.day > observed.last_observed_date - interval 180 day
