"""ml.experiment_results: conversion and revenue tests of every experiment."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.experiments import tables


@measured
def model(dbt, session):
    return tables.experiment_results(
        dbt.ref("experiment_assignments")
        .project("experiment_id, store, customer_key, variant, converted, revenue")
        .order("experiment_id, customer_key")
        .df()
    )
