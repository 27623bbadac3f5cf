"""The tables of python_models/experiments/, one function per dbt model.

Inputs, projected in DuckDB by the models: the experiments of seeds/experiment_definitions,
and the sale orders (not cancelled, with a customer) of marts.fct_orders (store,
customer_key, order_key, order_date, net_revenue_amount) in a stable order."""

from __future__ import annotations

import pandas as pd

from retail_warehouse.ml.common import log_progress, schema, typed_table
from retail_warehouse.ml.experiments.assignment import experiment_units
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


def experiment_assignments(definitions: pd.DataFrame, orders: pd.DataFrame, data_ends: pd.DataFrame) -> pd.DataFrame:
    """ml.experiment_assignments: the units of every experiment with variant and outcome,
    outcome windows cut at the store's data end."""
    frames = []
    data_end = data_ends.set_index("store")["data_end_date"]
    for _, definition in definitions.sort_values("experiment_id", kind="stable").iterrows():
        if definition["store"] not in data_end.index:
            log_progress("experiment_assignments", f"{definition['experiment_id']}: store has no orders, no units")
            continue
        units = experiment_units(definition, orders, data_end[definition["store"]])
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
