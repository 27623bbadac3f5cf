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

ASSIGNMENTS_SCHEMA = schema("experiment_id:str store:str customer_key:str variant:str converted:bool revenue:float")
RESULTS_SCHEMA = schema(
    "experiment_id:str store:str metric:str test:str control_units:int treatment_units:int control_value:float "
    "treatment_value:float difference:float relative_difference:float ci_lower:float ci_upper:float "
    "statistic:float degrees_of_freedom:float p_value:float is_significant:bool "
    "probability_of_superiority:float minimum_detectable_effect:float"
)


def experiment_assignments(definitions: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """ml.experiment_assignments: the units of every experiment with variant and outcome."""
    frames = []
    for _, definition in definitions.sort_values("experiment_id", kind="stable").iterrows():
        units = experiment_units(definition, orders)
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
