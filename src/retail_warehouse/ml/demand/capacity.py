"""Staffing and capacity from the order forecast: the daily forecast split into hours by
the store's hour x weekday pattern, grouped into shifts, with the agents each shift needs
and the days the forecast exceeds the warehouse's daily capacity.

Capacity settings are vars (dbt_project.yml), each one number for every store or a mapping
store -> number:
- orders_per_agent_hour: orders one agent handles in an hour;
- shift_length_hours: hours of a shift; shifts tile the day from first_shift_start_hour;
- target_utilisation: the share of a shift an agent spends on orders (breaks, slack);
- warehouse_orders_per_day: orders the warehouse can ship in a day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import per_store
from retail_warehouse.ml.demand.series import DAY_OPEN


@dataclass(frozen=True)
class CapacitySettings:
    orders_per_agent_hour: float
    shift_length_hours: int
    first_shift_start_hour: int
    target_utilisation: float
    warehouse_orders_per_day: float

    def __post_init__(self):
        if self.orders_per_agent_hour <= 0:
            raise ValueError("orders_per_agent_hour must be positive")
        if not 1 <= self.shift_length_hours <= 24:
            raise ValueError("shift_length_hours must be 1-24")
        if not 0 <= self.first_shift_start_hour <= 23:
            raise ValueError("first_shift_start_hour must be 0-23")
        if not 0 < self.target_utilisation <= 1:
            raise ValueError("target_utilisation must be in (0, 1]")
        if self.warehouse_orders_per_day <= 0:
            raise ValueError("warehouse_orders_per_day must be positive")

    @classmethod
    def for_store(cls, store: str, **settings) -> CapacitySettings:
        values = {name: per_store(value, store, name) for name, value in settings.items()}
        return cls(
            orders_per_agent_hour=float(values["orders_per_agent_hour"]),
            shift_length_hours=int(values["shift_length_hours"]),
            first_shift_start_hour=int(values["first_shift_start_hour"]),
            target_utilisation=float(values["target_utilisation"]),
            warehouse_orders_per_day=float(values["warehouse_orders_per_day"]),
        )

    def shifts(self) -> list[tuple[int, int, list[int]]]:
        """(shift number, start hour, hours of the day) of every shift: shifts of
        shift_length_hours from first_shift_start_hour round the clock, the last one cut
        short where 24 is not a multiple of the length. Hours belong to the calendar day."""
        count = math.ceil(24 / self.shift_length_hours)
        shifts = []
        for number in range(count):
            offsets = range(number * self.shift_length_hours, min((number + 1) * self.shift_length_hours, 24))
            hours = [(self.first_shift_start_hour + offset) % 24 for offset in offsets]
            shifts.append((number + 1, hours[0], hours))
        return shifts


def hour_shares(hour_weekday: pd.DataFrame) -> pd.DataFrame:
    """The share of a weekday's orders in each of its hours (sales_hour_weekday), per store;
    a weekday without orders spreads evenly (it is forecast 0 anyway)."""
    cells = hour_weekday[["store", "iso_day_of_week", "hour_of_day", "order_count"]].copy()
    totals = cells.groupby(["store", "iso_day_of_week"])["order_count"].transform("sum").astype(float)
    cells["hour_share"] = np.where(totals > 0, cells["order_count"] / totals.where(totals > 0, 1), 1 / 24)
    return cells[["store", "iso_day_of_week", "hour_of_day", "hour_share"]]


def hourly_forecast(order_forecast: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """The daily order forecast (point and 80% upper bound) of each store split into its 24
    hours by the hour shares of the date's weekday."""
    days = order_forecast[["store", "forecast_date", "day_status", "point_forecast", "upper_80"]].copy()
    days["iso_day_of_week"] = pd.to_datetime(days["forecast_date"]).dt.dayofweek + 1
    hours = days.merge(shares, on=["store", "iso_day_of_week"], how="inner", validate="many_to_many")
    hours["point_forecast"] = hours["point_forecast"] * hours["hour_share"]
    hours["upper_80"] = hours["upper_80"] * hours["hour_share"]
    return hours.sort_values(["store", "forecast_date", "hour_of_day"]).reset_index(drop=True)


def agents_needed(orders: float, hours: int, settings: CapacitySettings) -> int:
    """Agents for a shift: its orders over what one agent handles in it."""
    per_agent = settings.orders_per_agent_hour * hours * settings.target_utilisation
    # Round before ceil so 12.0000000001 (float noise) stays 12.
    return math.ceil(round(orders / per_agent, 9)) if orders > 0 else 0


PLAN_COLUMNS = [
    "store",
    "plan_date",
    "iso_day_of_week",
    "day_status",
    "shift_number",
    "shift_start_hour",
    "shift_hours",
    "forecast_orders",
    "forecast_orders_upper_80",
    "peak_hour_orders",
    "agents_needed",
    "agents_needed_upper_80",
    "agent_hours",
    "daily_forecast_orders",
    "daily_forecast_orders_upper_80",
    "warehouse_orders_per_day",
    "capacity_utilisation",
    "is_over_capacity",
    "is_over_capacity_upper_80",
    "orders_per_agent_hour",
    "target_utilisation",
]


def resource_plan(hours: pd.DataFrame, settings_by_store: dict[str, CapacitySettings]) -> pd.DataFrame:
    """One row per store + date + shift: forecast orders (point and 80% upper bound), the
    busiest hour, agents and agent-hours needed; and per day (repeated on its shifts) the
    daily forecast against the warehouse capacity."""
    rows = []
    for (store, forecast_date), day in hours.groupby(["store", "forecast_date"], sort=True):
        settings = settings_by_store[store]
        day = day.set_index("hour_of_day")
        daily_point = float(day["point_forecast"].sum())
        daily_upper = float(day["upper_80"].sum())
        for number, start_hour, shift_hours in settings.shifts():
            in_shift = day.loc[shift_hours]
            orders = float(in_shift["point_forecast"].sum())
            orders_upper = float(in_shift["upper_80"].sum())
            agents = agents_needed(orders, len(shift_hours), settings)
            rows.append(
                {
                    "store": store,
                    "plan_date": pd.Timestamp(forecast_date).date(),
                    "iso_day_of_week": int(pd.Timestamp(forecast_date).isoweekday()),
                    "day_status": day["day_status"].iloc[0],
                    "shift_number": number,
                    "shift_start_hour": start_hour,
                    "shift_hours": len(shift_hours),
                    "forecast_orders": orders,
                    "forecast_orders_upper_80": orders_upper,
                    "peak_hour_orders": float(in_shift["point_forecast"].max()),
                    "agents_needed": agents,
                    "agents_needed_upper_80": agents_needed(orders_upper, len(shift_hours), settings),
                    "agent_hours": agents * len(shift_hours),
                    "daily_forecast_orders": daily_point,
                    "daily_forecast_orders_upper_80": daily_upper,
                    "warehouse_orders_per_day": settings.warehouse_orders_per_day,
                    "capacity_utilisation": daily_point / settings.warehouse_orders_per_day,
                    "is_over_capacity": daily_point > settings.warehouse_orders_per_day,
                    "is_over_capacity_upper_80": daily_upper > settings.warehouse_orders_per_day,
                    "orders_per_agent_hour": settings.orders_per_agent_hour,
                    "target_utilisation": settings.target_utilisation,
                }
            )
    plan = pd.DataFrame(rows, columns=PLAN_COLUMNS)
    for column in ("iso_day_of_week", "shift_number", "shift_start_hour", "shift_hours"):
        plan[column] = plan[column].astype("int32")
    for column in ("agents_needed", "agents_needed_upper_80", "agent_hours"):
        plan[column] = plan[column].astype("int64")
    plan["is_open"] = plan["day_status"] == DAY_OPEN
    return plan
