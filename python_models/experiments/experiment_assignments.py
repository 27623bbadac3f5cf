"""Customers of every experiment in seeds/experiment_definitions, their variant and outcome
(ml.experiment_assignments)."""

from retail_warehouse.ml import experiments
from retail_warehouse.ml.progress import log_progress
from retail_warehouse.ml.typed_tables import typed_table


def model(dbt, session):
    definitions = dbt.ref("experiment_definitions").order("experiment_id").df()
    orders = experiments.load_sale_orders(dbt.ref("fct_orders"))
    frames = []
    for _, definition in definitions.iterrows():
        units = experiments.experiment_units(definition, orders)
        log_progress("experiment_assignments", f"{definition['experiment_id']}: {len(units)} customers")
        frames.append(units.assign(experiment_id=definition["experiment_id"], store=definition["store"]))
    return typed_table(frames, experiments.ASSIGNMENTS_SCHEMA)
