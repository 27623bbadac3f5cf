"""ml.experiment_results: conversion and revenue tests of every experiment."""

from retail_warehouse.ml.common import measured_model
from retail_warehouse.ml.experiments import tables


def model(dbt, session):
    with measured_model(dbt.this.identifier):
        return tables.experiment_results(
            dbt.ref("experiment_assignments")
            .project("experiment_id, store, customer_key, variant, converted, revenue")
            .order("experiment_id, customer_key")
            .df()
        )
