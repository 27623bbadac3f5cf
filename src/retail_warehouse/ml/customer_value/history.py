"""The order history the customer value models read, one row per customer at a cutoff: the BTYD
summary (btyd.rfm_summary), the recent activity before the cutoff (labels.recent_activity_features),
the outcomes after it (labels.outcome_labels), the purchase gaps and the store's median wait
(next_order.purchase_gaps, .store_median_wait) and the first order in a window
(next_order.realised_next_order).

Two implementations give the same frames, to the bit: OrderHistory computes them in pandas from a
store's sale orders (the unit tests, and the models that read only a window of orders);
RelationHistory computes them in DuckDB from tables.sale_order_relation and reads only the
customer rows, so a model's memory follows its customers, never the orders (issue 19). Money is
summed in double with Kahan compensation in the order pandas sums it (fsum ordered by the
columns sale_orders sorts by), as pandas' groupby sum and mean do: the same bits, and a fixed
order, so the sums do not depend on DuckDB's parallel aggregation."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd

from retail_warehouse.ml.customer_value import next_order
from retail_warehouse.ml.customer_value.btyd import rfm_summary
from retail_warehouse.ml.customer_value.labels import (
    RECENT_ACTIVITY_FEATURES,
    keyed_by_customer_and_date,
    outcome_labels,
    recent_activity_features,
    sale_orders,
)

# The days before a cutoff labels.recent_activity_features reads (orders and revenue in the last
# 90 days; orders in the last 30).
RECENT_ACTIVITY_DAYS = (30, 90)
OUTCOME_COLUMNS = ("orders_next", "spend_next")
# The sale orders a transaction model (BG/NBD, MBG/NBD + Gamma-Gamma) is fitted on, in their
# order: the rows its registry decision fingerprints (orders_before).
TRAINING_ORDER_COLUMNS = ("customer_key", "order_date", "net_revenue_amount")
# orders_before in DuckDB reads the orders in chunks of this many vectors of 2,048 rows.
ORDER_CHUNK_VECTORS = 64


def store_sale_orders(fct_orders: pd.DataFrame, store: str) -> pd.DataFrame:
    """One store's sale orders (labels.sale_orders) of a marts.fct_orders-like frame."""
    return sale_orders(fct_orders[fct_orders["store"] == store])


def _cutoffs(cutoffs) -> list[pd.Timestamp]:
    return sorted(pd.to_datetime(list(cutoffs)))


class OrderHistory:
    """The history of a marts.fct_orders-like frame in pandas (one store's sale orders at a time)."""

    def __init__(self, fct_orders: pd.DataFrame):
        self._fct_orders = fct_orders
        self._store, self._orders = None, None

    def orders(self, store: str) -> pd.DataFrame:
        if store != self._store:
            self._store, self._orders = store, store_sale_orders(self._fct_orders, store)
        return self._orders

    def summary(self, store: str, cutoff) -> pd.DataFrame:
        return rfm_summary(self.orders(store), pd.Timestamp(cutoff))

    def orders_before(self, store: str, cutoff) -> Iterator[pd.DataFrame]:
        """The store's sale orders dated before the cutoff (TRAINING_ORDER_COLUMNS, by customer
        and date), as one frame."""
        orders = self.orders(store)
        frame = orders.loc[pd.to_datetime(orders["order_date"]) < pd.Timestamp(cutoff), list(TRAINING_ORDER_COLUMNS)]
        yield frame.sort_values(["customer_key", "order_date"], kind="stable").reset_index(drop=True)

    def recent_activity(self, store: str, cutoffs) -> pd.DataFrame:
        return recent_activity_features(self.orders(store), cutoffs)

    def outcomes(self, store: str, cutoff, days: int) -> pd.DataFrame:
        return outcome_labels(self.orders(store), [cutoff], days)

    def purchase_gaps(self, store: str, cutoff) -> pd.DataFrame:
        return next_order.purchase_gaps(self.orders(store), pd.Timestamp(cutoff))

    def store_median_wait(self, store: str, cutoff) -> float | None:
        return next_order.store_median_wait(self.orders(store), pd.Timestamp(cutoff))

    def realised_next_order(self, store: str, cutoff, window_end) -> pd.Series:
        return next_order.realised_next_order(self.orders(store), pd.Timestamp(cutoff), pd.Timestamp(window_end))


def as_history(orders) -> OrderHistory | RelationHistory:
    """A history as given, or the OrderHistory of a marts.fct_orders-like frame."""
    return OrderHistory(orders) if isinstance(orders, pd.DataFrame) else orders


def sql_text(value) -> str:
    """A SQL string literal of value (quotes doubled)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_day(day) -> str:
    """A SQL date literal of a day."""
    return f"cast({sql_text(pd.Timestamp(day).date().isoformat())} as date)"


# One row per customer with a sale order before the cutoff: btyd.rfm_summary's columns, from one
# store's sale orders dated before the cutoff (RelationHistory.summary sorts it by customer_key,
# as rfm_summary does).
BTYD_SUMMARY_SQL = """
with orders as (
    select
        customer_key,
        order_date,
        cast(net_revenue_amount as double) as amount
    from sale_orders_before_cutoff
),

-- A purchase day's amount as pandas sums it: by amount (the order of labels.sale_orders).
purchase_days as (
    select
        customer_key,
        order_date,
        coalesce(fsum(amount order by amount), 0.0) as amount
    from orders
    group by customer_key, order_date
),

dated as (
    select
        customer_key,
        order_date,
        amount,
        min(order_date) over (partition by customer_key) as first_day
    from purchase_days
),

-- The mean of the repeat days' amounts as pandas takes it: summed by day, then divided.
final as (
    select
        customer_key,
        cast(count(*) - 1 as double) as frequency,
        cast(date_diff('day', min(order_date), max(order_date)) as double) as recency,
        cast(date_diff('day', min(order_date), {cutoff}) as double) as age,
        coalesce(
            fsum(case when order_date > first_day then amount end order by order_date)
            / nullif(count(*) filter (where order_date > first_day), 0),
            0.0
        ) as repeat_mean_value
    from dated
    group by customer_key
)

select * from final
"""

# One row per customer with a sale order in [cutoff - 90 days, cutoff):
# labels.recent_activity_features' columns.
RECENT_ACTIVITY_SQL = """
with orders as (
    select
        customer_key,
        order_date,
        cast(net_revenue_amount as double) as amount
    from sale_orders_in_window
),

final as (
    select
        customer_key,
        cast(count(*) filter (where order_date >= {cutoff} - {short_days}) as double) as orders_last_30d,
        cast(count(*) as double) as orders_last_90d,
        coalesce(fsum(amount order by order_date, amount), 0.0) as revenue_last_90d
    from orders
    group by customer_key
)

select * from final
"""

# One row per customer with a sale order in [cutoff, cutoff + H): labels.outcome_labels' columns.
OUTCOME_SQL = """
with orders as (
    select
        customer_key,
        order_date,
        cast(net_revenue_amount as double) as amount
    from sale_orders_in_window
),

final as (
    select
        customer_key,
        cast(count(*) as double) as orders_next,
        coalesce(fsum(amount order by order_date, amount), 0.0) as spend_next
    from orders
    group by customer_key
)

select * from final
"""

# Every purchase day before the cutoff with the days since the customer's previous one (null on
# the first): next_order.purchase_gaps and .store_median_wait aggregate it.
PURCHASE_GAPS_SQL = """
with purchase_days as (
    select distinct
        customer_key,
        order_date
    from sale_orders_before_cutoff
),

final as (
    select
        customer_key,
        order_date,
        cast(
            date_diff('day', lag(order_date) over (partition by customer_key order by order_date), order_date)
            as double
        ) as gap_days
    from purchase_days
)

select * from final
"""


def _by_customer(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_key", kind="mergesort").reset_index(drop=True)


class RelationHistory:
    """The history of tables.sale_order_relation (a DuckDB relation of the sale orders), each
    frame aggregated per customer in DuckDB before pandas."""

    def __init__(self, sale_orders):
        self._sale_orders = sale_orders

    def _between(self, store: str, first=None, before=None):
        """The store's sale orders dated in [first, before) (either end open when None)."""
        conditions = [f"store = {sql_text(store)}"]
        if first is not None:
            conditions.append(f"order_date >= {sql_day(first)}")
        if before is not None:
            conditions.append(f"order_date < {sql_day(before)}")
        return self._sale_orders.filter(" and ".join(conditions))

    def summary_relation(self, store: str, cutoff):
        """btyd.rfm_summary at the cutoff as a DuckDB relation (one row per customer)."""
        return self._between(store, before=cutoff).query(
            "sale_orders_before_cutoff", BTYD_SUMMARY_SQL.format(cutoff=sql_day(cutoff))
        )

    def summary(self, store: str, cutoff) -> pd.DataFrame:
        return _by_customer(self.summary_relation(store, cutoff).df())

    def orders_before(self, store: str, cutoff) -> Iterator[pd.DataFrame]:
        """OrderHistory.orders_before read in chunks of ORDER_CHUNK_VECTORS vectors (the first
        one even when empty: it carries the types), sorted in DuckDB as labels.sale_orders sorts
        them and typed as it types them: the same rows, in the same order and dtypes, in memory
        bounded by a chunk."""
        relation = (
            self._between(store, before=cutoff)
            .project(", ".join(TRAINING_ORDER_COLUMNS))
            .order("customer_key, order_date, net_revenue_amount")
        )
        chunk = relation.fetch_df_chunk(ORDER_CHUNK_VECTORS)
        while True:
            chunk["order_date"] = pd.to_datetime(chunk["order_date"])
            chunk["net_revenue_amount"] = chunk["net_revenue_amount"].astype(float)
            yield chunk
            chunk = relation.fetch_df_chunk(ORDER_CHUNK_VECTORS)
            if chunk.empty:
                return

    def recent_activity(self, store: str, cutoffs) -> pd.DataFrame:
        short_days, long_days = RECENT_ACTIVITY_DAYS
        frames = []
        for cutoff in _cutoffs(cutoffs):
            sql = RECENT_ACTIVITY_SQL.format(cutoff=sql_day(cutoff), short_days=short_days)
            window = self._between(store, cutoff - pd.Timedelta(days=long_days), cutoff)
            frame = _by_customer(window.query("sale_orders_in_window", sql).df())
            frame.insert(1, "as_of_date", cutoff)
            frames.append(frame)
        return keyed_by_customer_and_date(frames, RECENT_ACTIVITY_FEATURES)

    def outcomes(self, store: str, cutoff, days: int) -> pd.DataFrame:
        (cutoff,) = _cutoffs([cutoff])
        window = self._between(store, cutoff, cutoff + pd.Timedelta(days=days))
        frame = _by_customer(window.query("sale_orders_in_window", OUTCOME_SQL).df())
        frame.insert(1, "as_of_date", cutoff)
        return keyed_by_customer_and_date([frame], OUTCOME_COLUMNS)

    def _gaps(self, store: str, cutoff):
        return self._between(store, before=cutoff).query("sale_orders_before_cutoff", PURCHASE_GAPS_SQL)

    def purchase_gaps(self, store: str, cutoff) -> pd.DataFrame:
        gaps = self._gaps(store, cutoff).aggregate(
            "customer_key, max(order_date) as last_order_date, median(gap_days) as median_gap_days", "customer_key"
        )
        frame = _by_customer(gaps.df())
        frame["last_order_date"] = pd.to_datetime(frame["last_order_date"])
        return frame

    def store_median_wait(self, store: str, cutoff) -> float | None:
        (wait,) = self._gaps(store, cutoff).aggregate("median(gap_days) as wait").fetchone()
        return None if wait is None else float(wait)

    def realised_next_order(self, store: str, cutoff, window_end) -> pd.Series:
        first = self._between(store, cutoff, window_end).aggregate(
            "customer_key, min(order_date) as order_date", "customer_key"
        )
        frame = _by_customer(first.df())
        return pd.Series(pd.to_datetime(frame["order_date"]).to_numpy(), index=frame["customer_key"], name="order_date")
