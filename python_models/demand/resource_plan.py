"""ml.resource_plan: agents per shift and warehouse load per day from the order forecast,
with the capacity settings of dbt_project.yml (vars demand_*)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.resource_plan(
        dbt.ref("demand_forecast")
        .filter(f"series_id = '{tables.OVERALL_ORDERS}'")
        .project("store, series_id, forecast_date, day_status, point_forecast, upper_80")
        .df(),
        dbt.ref("sales_hour_weekday").project("store, iso_day_of_week, hour_of_day, order_count").df(),
        orders_per_agent_hour=dbt.config.get("orders_per_agent_hour"),
        shift_length_hours=dbt.config.get("shift_length_hours"),
        first_shift_start_hour=dbt.config.get("first_shift_start_hour"),
        target_utilisation=dbt.config.get("target_utilisation"),
        warehouse_orders_per_day=dbt.config.get("warehouse_orders_per_day"),
    )
