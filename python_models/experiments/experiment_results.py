"""Conversion and revenue tests of every experiment (ml.experiment_results)."""

from retail_warehouse.ml import experiments
from retail_warehouse.ml.progress import log_progress
from retail_warehouse.ml.typed_tables import typed_table


def model(dbt, session):
    assignments = dbt.ref("experiment_assignments").order("experiment_id, customer_key").df()
    frames = []
    for (experiment_id, store), units in assignments.groupby(["experiment_id", "store"], sort=True):
        results = experiments.analyse_experiment(units)
        if results.empty:
            log_progress("experiment_results", f"{experiment_id}: a variant has fewer than two customers, no test")
        frames.append(results.assign(experiment_id=experiment_id, store=store))
    return typed_table(frames, experiments.RESULTS_SCHEMA)
