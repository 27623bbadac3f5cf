"""ml.seasonal_profiles: weekday, month and hour x weekday profiles of each store's orders and
net revenue, with the peak periods of each profile."""

from retail_warehouse.ml.progress import log_progress
from retail_warehouse.ml.seasonality import seasonal_profiles


def model(dbt, session):
    dbt.config(materialized="table")
    profiles = seasonal_profiles(dbt.ref("demand_series").df(), dbt.ref("sales_hour_weekday").df())
    if profiles.empty:
        log_progress("seasonal_profiles", "no series: no profiles")
    return profiles
