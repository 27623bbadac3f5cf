"""The tables of python_models/retention/, one function per dbt model.

Inputs, read in DuckDB by the models: the first two days with a sale order (not cancelled) of
each customer up to the store's data end (first_two_sale_days: all the survival needs, so
pandas holds at most two rows per customer whatever the history), each store's data end
(marts.store_data_ends.data_end_date as end_date: where a customer still waiting is
censored, the one data end every model uses), the customers' location
(marts.dim_customers: store, customer_key, country_name, state) and RFM segment
(marts.customer_rfm: customer_key, rfm_segment)."""

from __future__ import annotations

import duckdb
import pandas as pd

from retail_warehouse.ml.common import log_progress, schema, single_threaded, timed_step, typed_table
from retail_warehouse.ml.retention.groups import dimensions_of, store_survival_frame, tested_dimensions_of
from retail_warehouse.ml.retention.survival import (
    SURVIVAL_HORIZONS_DAYS,
    curves_by_group,
    holm_across_dimensions,
    logrank_tests,
    summarise_curves,
)

SALE_ORDERS = "order_type = 'sale' and not is_cancelled and customer_key is not null"

SURVIVAL_SCHEMA = schema(
    "store:str dimension:str group_value:str time_days:int at_risk:int events:int censored:int survival:float "
    "ci_lower:float ci_upper:float"
)
SUMMARY_SCHEMA = {
    **schema(
        "store:str dimension:str group_value:str customers:int events:int median_days:float "
        "days_to_survival_0_75:float max_follow_up_days:int"
    ),
    **{f"survival_at_{day}_days": "float" for day in SURVIVAL_HORIZONS_DAYS},
}
TESTS_SCHEMA = schema(
    "store:str dimension:str test:str group_a:str group_b:str groups:int test_statistic:float "
    "degrees_of_freedom:int p_value:float p_value_holm:float holm_family:str"
)
# marts.store_data_ends, read as (store, end_date).
END_DATE_COLUMNS = "store, data_end_date as end_date"


def first_two_sale_days(orders: duckdb.DuckDBPyRelation, data_ends: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """store, customer_key, order_date of each customer's first two distinct days with a sale
    order on or before the store's data end (marts.fct_orders, marts.store_data_ends), in
    order: what time_to_repeat_purchase reads of the history, counted in DuckDB."""
    days = (
        orders.filter(SALE_ORDERS)
        .set_alias("o")
        .join(data_ends.set_alias("e"), "o.store = e.store")
        .filter("o.order_date <= e.data_end_date")
        .select("o.store, o.customer_key, o.order_date")
        .distinct()
    )
    return days.query(
        "days",
        """
        select store, customer_key, order_date
        from days
        qualify row_number() over (partition by store, customer_key order by order_date) <= 2
        order by all
        """,
    ).df()


def survival_frames(
    sale_days: pd.DataFrame, end_dates: pd.DataFrame, customers: pd.DataFrame, segments: pd.DataFrame
) -> dict[str, pd.DataFrame]:
    """store -> groups.store_survival_frame, for every store with a sale order, in store order:
    the input of both ml.retention_survival and ml.retention_tests."""
    groups = customers.merge(segments, on="customer_key", how="left", validate="one_to_one")
    end_date = end_dates.set_index("store")["end_date"]
    return {
        store: store_survival_frame(
            sale_days[sale_days["store"] == store], groups[groups["store"] == store], store, end_date[store]
        )
        for store in sorted(sale_days["store"].unique())
    }


@single_threaded()
def retention_survival(
    sale_days: pd.DataFrame, end_dates: pd.DataFrame, customers: pd.DataFrame, segments: pd.DataFrame
) -> pd.DataFrame:
    """ml.retention_survival: the Kaplan-Meier curve of every group of every dimension."""
    frames = survival_frames(sale_days, end_dates, customers, segments)
    return _per_store("retention_survival", "Kaplan-Meier curves", _store_curves, frames, SURVIVAL_SCHEMA)


def retention_group_summary(curves: pd.DataFrame) -> pd.DataFrame:
    """ml.retention_group_summary: median time to next order and survival at fixed horizons
    per group, read off the curves of ml.retention_survival."""
    return typed_table([summarise_curves(curves)], SUMMARY_SCHEMA)


@single_threaded()
def retention_tests(
    sale_days: pd.DataFrame, end_dates: pd.DataFrame, customers: pd.DataFrame, segments: pd.DataFrame
) -> pd.DataFrame:
    """ml.retention_tests: log-rank tests of equal time to next order between groups."""
    frames = survival_frames(sale_days, end_dates, customers, segments)
    return _per_store("retention_tests", "log-rank tests", _store_tests, frames, TESTS_SCHEMA)


def _per_store(model: str, step: str, store_rows, frames: dict[str, pd.DataFrame], columns: dict) -> pd.DataFrame:
    """store_rows(frame, store) of every store's survival frame, logged, as one typed table."""
    tables = []
    for store, frame in frames.items():
        with timed_step(model, f"{store}: {step}"):
            rows = store_rows(frame, store)
        log_progress(model, f"{store}: {len(frame)} customers, {len(rows)} rows")
        tables.append(rows)
    return typed_table(tables, columns)


def _store_curves(frame: pd.DataFrame, store: str) -> pd.DataFrame:
    """ml.retention_survival rows of one store."""
    if frame.empty:
        return pd.DataFrame()
    curves = [
        curves_by_group(frame, dimension).assign(store=store, dimension=dimension) for dimension in dimensions_of(store)
    ]
    return pd.concat(curves, ignore_index=True)


def _store_tests(frame: pd.DataFrame, store: str) -> pd.DataFrame:
    """ml.retention_tests rows of one store: the multivariate log-rank test within every
    tested dimension (groups.tested_dimensions_of: not the RFM segment, built from the
    outcome), Holm-adjusted across those dimensions, and pairwise tests within location,
    Holm-adjusted within it (acquisition quarters are ordered in time: their curves and the
    overall test say more than 36 pairs)."""
    if frame.empty:
        return pd.DataFrame()
    tests = []
    for dimension in tested_dimensions_of(store):
        result = logrank_tests(frame, dimension, pairwise=dimension != "acquisition_quarter")
        if not result.empty:
            tests.append(result.assign(store=store, dimension=dimension))
    return holm_across_dimensions(pd.concat(tests, ignore_index=True)) if tests else pd.DataFrame()
