"""Daily demand series with an explicit calendar: which days a store is active, which days it
is closed, and the open-day sequence the forecasting models see.

Online Retail sells on no Saturday and closes over Christmas; Olist's first and last months
hold only a trickle of test and late orders. So every series gets a calendar:

- active span: the store's days between the first and the last day whose daily orders reach
  `ACTIVE_SHARE` of the store's median daily orders, after dropping leading and trailing
  stretches where the 28-day mean stays below that level (Olist's 2016 test orders and its
  last weeks of 2018), and ending by the store's data end (marts.store_data_ends: its last
  complete day, the one end every model shares; Olist's last days of August 2018 fall to a
  fifth of the usual and are past it); inside the span every calendar day is present,
  missing ones with 0;
- closed weekday: an ISO weekday the store is normally closed, as the warehouse defines it
  once (intermediate.int_closed_weekdays_detected, the definition the closed-weekday flag of
  marts.data_quality_issues reads; Online Retail: Saturday): demand 0 by rule, left out of
  the model sequence, forecast 0;
- closure: a day of an open weekday without a single order (Christmas break, bank
  holidays): kept in the model sequence at its position, but with an imputed value (the
  median of the same weekday's last four open days) so the weekly pattern stays aligned;
- planned closure: in the forecast horizon, the month-days of past breaks (a week or more
  without orders holding a closure: the Christmas break) are closures again and forecast 0;
  single holidays are not projected (Easter and bank holidays move).

The store's calendar comes from its overall orders and applies to all its series.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

ACTIVE_SHARE = 0.1
ACTIVE_WINDOW_DAYS = 28
IMPUTATION_WEEKS = 4
MIN_BREAK_DAYS = 7

DAY_OPEN = "open"
DAY_CLOSED_WEEKDAY = "closed_weekday"
DAY_CLOSURE = "closure"

METRIC_COLUMNS = {"orders": "order_count", "net_revenue": "net_revenue_amount"}
# The dimension whose top values get their own series, per store.
TOP_DIMENSION = {"online_retail": "country", "olist": "category"}


@dataclass(frozen=True)
class StoreCalendar:
    """The calendar of one store: its active span, closed weekdays and closure dates."""

    start: pd.Timestamp
    end: pd.Timestamp
    closed_weekdays: tuple[int, ...]
    closure_dates: tuple[pd.Timestamp, ...]

    @property
    def season_length(self) -> int:
        """Open weekdays per week: the period of the weekly season in the model sequence."""
        return 7 - len(self.closed_weekdays)

    def day_status(self, dates: pd.DatetimeIndex, *, future: bool = False) -> np.ndarray:
        """open / closed_weekday / closure of each date; in the future, closures are the
        month-days of past closures."""
        status = np.full(len(dates), DAY_OPEN, dtype=object)
        if future:
            month_days = {(d.month, d.day) for d in self.break_dates()}
            is_closure = np.array([(d.month, d.day) in month_days for d in dates], dtype=bool)
        else:
            is_closure = dates.isin(pd.DatetimeIndex(self.closure_dates))
        status[is_closure] = DAY_CLOSURE
        status[np.isin((dates.weekday + 1), self.closed_weekdays)] = DAY_CLOSED_WEEKDAY
        return status

    def break_dates(self) -> list[pd.Timestamp]:
        """The days of past breaks: runs of at least MIN_BREAK_DAYS consecutive days without
        orders (closures and the closed weekdays between them) holding a closure. Their
        month-days are closed again in the future (the Christmas break); shorter runs (a
        bank holiday, Easter) are not projected, as their dates move."""
        days = pd.date_range(self.start, self.end, freq="D")
        closed = days.isin(pd.DatetimeIndex(self.closure_dates)) | np.isin(days.weekday + 1, self.closed_weekdays)
        breaks, run = [], []
        for day, is_closed in zip(days, closed):
            if is_closed:
                run.append(day)
                continue
            breaks += self._break_or_nothing(run)
            run = []
        return breaks + self._break_or_nothing(run)

    def _break_or_nothing(self, run: list[pd.Timestamp]) -> list[pd.Timestamp]:
        has_closure = any(day in set(self.closure_dates) for day in run)
        return run if len(run) >= MIN_BREAK_DAYS and has_closure else []

    def future_dates(self, horizon_days: int) -> pd.DatetimeIndex:
        return pd.date_range(self.end + pd.Timedelta(days=1), periods=horizon_days, freq="D")


def _edges_below(mask_low: np.ndarray) -> tuple[int, int]:
    """First and last index of the stretch left after dropping leading and trailing lows."""
    keep = np.flatnonzero(~mask_low)
    if len(keep) == 0:
        return 0, -1
    return int(keep[0]), int(keep[-1])


def store_calendar(daily_orders: pd.Series, closed_weekdays: tuple[int, ...], data_end=None) -> StoreCalendar | None:
    """The calendar of a store from its overall orders per day (index: dates, missing days
    allowed) and its closed ISO weekdays (intermediate.int_closed_weekdays_detected), ending
    by data_end (marts.store_data_ends.data_end_date) when given. None when the store has no
    order at all by then."""
    if data_end is not None:
        daily_orders = daily_orders[daily_orders.index <= pd.Timestamp(data_end)]
    if daily_orders.empty or daily_orders.sum() <= 0:
        return None
    days = pd.date_range(daily_orders.index.min(), daily_orders.index.max(), freq="D")
    orders = daily_orders.reindex(days, fill_value=0).astype(float)
    level = ACTIVE_SHARE * float(np.median(orders[orders > 0]))
    rolling_mean = orders.rolling(ACTIVE_WINDOW_DAYS, center=True, min_periods=1).mean()
    first, last = _edges_below((rolling_mean < level).to_numpy())
    span = orders.iloc[first : last + 1]
    first_day, last_day = _edges_below((span < level).to_numpy())
    span = span.iloc[first_day : last_day + 1]
    weekdays = span.index.weekday + 1
    closed_weekdays = tuple(sorted(int(day) for day in set(closed_weekdays)))
    # A store closed on every weekday is not a store: keep at least the busiest weekday open.
    if len(closed_weekdays) == 7:
        closed_weekdays = tuple(d for d in closed_weekdays if d != int(span.groupby(weekdays).sum().idxmax()))
    is_closure = (span == 0) & ~np.isin(weekdays, closed_weekdays)
    return StoreCalendar(
        start=span.index[0],
        end=span.index[-1],
        closed_weekdays=closed_weekdays,
        closure_dates=tuple(span.index[is_closure]),
    )


def impute_closures(values: np.ndarray, status: np.ndarray, season_length: int) -> np.ndarray:
    """The model sequence's values with every closure replaced by the median of the same
    weekday's last `IMPUTATION_WEEKS` open values (the next ones when there are none before,
    0 when the weekday was never open). values and status are over the model sequence
    (closed weekdays already left out), so the same weekday is `season_length` apart."""
    imputed = values.astype(float).copy()
    is_open = status == DAY_OPEN
    for position in np.flatnonzero(~is_open):
        same_weekday = np.arange(position % season_length, len(values), season_length)
        open_same = same_weekday[is_open[same_weekday]]
        before = open_same[open_same < position][-IMPUTATION_WEEKS:]
        after = open_same[open_same > position][:IMPUTATION_WEEKS]
        donors = before if len(before) else after
        imputed[position] = float(np.median(values[donors])) if len(donors) else 0.0
    return imputed


def top_dimension_values(sales_daily: pd.DataFrame, store: str, top_n: int) -> list[str]:
    """The store's `top_n` values of its top dimension (country / category) by orders,
    ties broken by name; 'unknown' categories are not a series."""
    dimension = TOP_DIMENSION.get(store)
    if dimension is None or top_n <= 0:
        return []
    rows = sales_daily[(sales_daily["store"] == store) & (sales_daily["dimension"] == dimension)]
    rows = rows[rows["dimension_value"] != "unknown"]
    totals = rows.groupby("dimension_value")["order_count"].sum().reset_index()
    totals = totals.sort_values(["order_count", "dimension_value"], ascending=[False, True])
    return totals["dimension_value"].head(top_n).tolist()


def series_id(metric: str, dimension: str, dimension_value: str) -> str:
    return f"{metric}|{dimension}|{dimension_value}"


def build_demand_series(
    sales_daily: pd.DataFrame,
    top_n: int,
    closed_weekdays: Mapping[str, tuple[int, ...]],
    data_ends: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Every store's daily series on its calendar: overall orders and net revenue, and the
    orders of its `top_n` countries (Online Retail) / categories (Olist). closed_weekdays:
    the store's closed ISO weekdays (intermediate.int_closed_weekdays_detected) by store; a
    store without any is open every weekday. data_ends: the store's data end
    (marts.store_data_ends) by store; a store without one ends at its last active day.

    One row per store + series_id + series_date over the active span, with the actual
    value (0 on days without sales), the day status, and model_value: the value the models
    fit (actual on open days, imputed on closures, null on closed weekdays)."""
    sales_daily = sales_daily.copy()
    sales_daily["order_date"] = pd.to_datetime(sales_daily["order_date"])
    frames = []
    for store in sorted(sales_daily["store"].unique()):
        store_rows = sales_daily[sales_daily["store"] == store]
        overall = store_rows[store_rows["dimension"] == "overall"]
        calendar = store_calendar(
            overall.set_index("order_date")["order_count"].astype(float),
            tuple(closed_weekdays.get(store, ())),
            (data_ends or {}).get(store),
        )
        if calendar is None:
            continue
        days = pd.date_range(calendar.start, calendar.end, freq="D")
        status = calendar.day_status(days)
        wanted = [("orders", "overall", "all"), ("net_revenue", "overall", "all")]
        wanted += [("orders", TOP_DIMENSION[store], value) for value in top_dimension_values(sales_daily, store, top_n)]
        for metric, dimension, dimension_value in wanted:
            rows = store_rows[
                (store_rows["dimension"] == dimension) & (store_rows["dimension_value"] == dimension_value)
            ]
            values = rows.set_index("order_date")[METRIC_COLUMNS[metric]].astype(float)
            values = values.groupby(level=0).sum().reindex(days, fill_value=0.0).to_numpy()
            in_model = status != DAY_CLOSED_WEEKDAY
            model_value = np.full(len(days), np.nan)
            model_value[in_model] = impute_closures(values[in_model], status[in_model], calendar.season_length)
            frames.append(
                pd.DataFrame(
                    {
                        "store": store,
                        "series_id": series_id(metric, dimension, dimension_value),
                        "metric": metric,
                        "dimension": dimension,
                        "dimension_value": dimension_value,
                        "series_date": days.date,
                        "iso_day_of_week": (days.weekday + 1).astype("int32"),
                        "day_status": status.astype(str),
                        "actual_value": values,
                        "model_value": model_value,
                        "is_imputed": status == DAY_CLOSURE,
                        "season_length": np.int32(calendar.season_length),
                    }
                )
            )
    if not frames:
        return empty_demand_series()
    return pd.concat(frames, ignore_index=True)


def empty_demand_series() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "store": pd.Series(dtype=str),
            "series_id": pd.Series(dtype=str),
            "metric": pd.Series(dtype=str),
            "dimension": pd.Series(dtype=str),
            "dimension_value": pd.Series(dtype=str),
            "series_date": pd.Series(dtype="datetime64[ns]"),
            "iso_day_of_week": pd.Series(dtype="int32"),
            "day_status": pd.Series(dtype=str),
            "actual_value": pd.Series(dtype=float),
            "model_value": pd.Series(dtype=float),
            "is_imputed": pd.Series(dtype=bool),
            "season_length": pd.Series(dtype="int32"),
        }
    )


def calendar_from_series(series: pd.DataFrame) -> StoreCalendar:
    """The store calendar back from the rows of one series of build_demand_series."""
    dates = pd.to_datetime(series["series_date"])
    status = series["day_status"].to_numpy()
    closed_weekdays = tuple(sorted(set(series.loc[status == DAY_CLOSED_WEEKDAY, "iso_day_of_week"].astype(int))))
    return StoreCalendar(
        start=dates.min(),
        end=dates.max(),
        closed_weekdays=closed_weekdays,
        closure_dates=tuple(dates[status == DAY_CLOSURE]),
    )
