"""The tables of python_models/experiments/, one function per dbt model.

Inputs, projected in DuckDB by the models: the experiments of seeds/experiment_definitions,
and the sale orders (not cancelled, with a customer) of marts.fct_orders (store,
customer_key, order_key, order_date, net_revenue_amount) as a DuckDB relation, counted there
per experiment and customer (experiment_customers): pandas sees customers, never orders."""

from __future__ import annotations

import duckdb
import pandas as pd

from retail_warehouse.ml.common import log_progress, schema, typed_table
from retail_warehouse.ml.experiments.assignment import experiment_units, outcome_window
from retail_warehouse.ml.experiments.statistics import analyse_experiment

SALE_ORDERS = "order_type = 'sale' and not is_cancelled and customer_key is not null"
ORDER_COLUMNS = "store, customer_key, order_key, order_date, net_revenue_amount"

ASSIGNMENTS_SCHEMA = schema(
    "experiment_id:str store:str customer_key:str variant:str converted:bool revenue:float outcome_window_end:date"
)
# marts.store_data_ends: outcome windows are cut at the store's data end.
DATA_END_COLUMNS = "store, data_end_date"
RESULTS_SCHEMA = schema(
    "experiment_id:str store:str metric:str test:str control_units:int treatment_units:int control_value:float "
    "treatment_value:float difference:float relative_difference:float ci_lower:float ci_upper:float "
    "statistic:float degrees_of_freedom:float p_value:float is_significant:bool "
    "probability_of_superiority:float minimum_detectable_effect:float"
)


def experiment_customers(
    orders: duckdb.DuckDBPyRelation, store: str, start: pd.Timestamp, end: pd.Timestamp
) -> pd.DataFrame:
    """Every customer of the store with a sale order before `start`, with their sale orders
    (window_orders) and net revenue (window_revenue, summed exactly as decimals) in [start,
    end), counted in DuckDB."""
    in_window = f"order_date >= date '{start.date().isoformat()}' and order_date < date '{end.date().isoformat()}'"
    store_literal = "'" + store.replace("'", "''") + "'"
    return orders.query(
        "orders",
        f"""
        select customer_key,
            count(*) filter (where {in_window}) as window_orders,
            cast(coalesce(sum(net_revenue_amount) filter (where {in_window}), 0) as double) as window_revenue
        from orders
        where store = {store_literal}
        group by customer_key
        having min(order_date) < date '{start.date().isoformat()}'
        order by customer_key
        """,
    ).df()


def store_experiment_units(definition: pd.Series, orders: duckdb.DuckDBPyRelation, data_end_date) -> pd.DataFrame:
    """assignment.experiment_units of one experiment, its customers counted in DuckDB."""
    start, end = outcome_window(definition, data_end_date)
    return experiment_units(definition, experiment_customers(orders, str(definition["store"]), start, end), end)


def experiment_assignments(
    definitions: pd.DataFrame, orders: duckdb.DuckDBPyRelation, data_ends: pd.DataFrame
) -> pd.DataFrame:
    """ml.experiment_assignments: the units of every experiment with variant and outcome,
    outcome windows cut at the store's data end."""
    frames = []
    data_end = data_ends.set_index("store")["data_end_date"]
    for _, definition in definitions.sort_values("experiment_id", kind="stable").iterrows():
        if definition["store"] not in data_end.index:
            log_progress("experiment_assignments", f"{definition['experiment_id']}: store has no orders, no units")
            continue
        units = store_experiment_units(definition, orders, data_end[definition["store"]])
        log_progress("experiment_assignments", f"{definition['experiment_id']}: {len(units)} customers")
        frames.append(units.assign(experiment_id=definition["experiment_id"], store=definition["store"]))
    return typed_table(frames, ASSIGNMENTS_SCHEMA)


def experiment_results(assignments: pd.DataFrame) -> pd.DataFrame:
    """ml.experiment_results: the conversion and revenue tests of every experiment."""
    frames = []
    assignments = assignments.sort_values(["experiment_id", "customer_key"], kind="stable")
    for (experiment_id, store), units in assignments.groupby(["experiment_id", "store"], sort=True):
        results = analyse_experiment(units)
        if results.empty:
            log_progress("experiment_results", f"{experiment_id}: a variant has fewer than two customers, no test")
        frames.append(results.assign(experiment_id=experiment_id, store=store))
    return typed_table(frames, RESULTS_SCHEMA)
