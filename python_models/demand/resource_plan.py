"""ml.resource_plan: agents per shift and warehouse load per day from the order forecast,
with the capacity settings of dbt_project.yml (vars demand_*)."""

from retail_warehouse.ml.capacity import CapacitySettings, hour_shares, hourly_forecast, resource_plan
from retail_warehouse.ml.progress import log_progress


def model(dbt, session):
    dbt.config(materialized="table")
    forecast = dbt.ref("demand_forecast").filter("series_id = 'orders|overall|all'").df()
    shares = hour_shares(dbt.ref("sales_hour_weekday").df())
    settings = {
        store: CapacitySettings.for_store(
            store,
            orders_per_agent_hour=dbt.config.get("orders_per_agent_hour"),
            shift_length_hours=dbt.config.get("shift_length_hours"),
            first_shift_start_hour=dbt.config.get("first_shift_start_hour"),
            target_utilisation=dbt.config.get("target_utilisation"),
            warehouse_orders_per_day=dbt.config.get("warehouse_orders_per_day"),
        )
        for store in sorted(forecast["store"].unique())
    }
    plan = resource_plan(hourly_forecast(forecast, shares), settings)
    for store, rows in plan.groupby("store") if not plan.empty else []:
        days = rows.drop_duplicates("plan_date")
        log_progress(
            "resource_plan",
            f"{store}: {int(days['is_over_capacity'].sum())} days over capacity "
            f"({int(days['is_over_capacity_upper_80'].sum())} at the 80% upper bound), "
            f"up to {int(rows['agents_needed'].max())} agents a shift",
        )
    return plan
