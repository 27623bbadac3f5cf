"""Kaplan-Meier curves of the time from first to next order, per group (ml.retention_survival)."""

from retail_warehouse.ml import survival
from retail_warehouse.ml.progress import log_progress, timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "retention_survival"


def model(dbt, session):
    frames_by_store = survival.survival_frames_by_store(
        dbt.ref("fct_orders"), dbt.ref("dim_customers"), dbt.ref("customer_rfm")
    )
    frames = []
    for store, frame in frames_by_store.items():
        with timed_step(MODEL, f"{store}: Kaplan-Meier curves"):
            curves = survival.store_curves(frame, store)
        log_progress(MODEL, f"{store}: {len(frame)} customers, {len(curves)} curve points")
        frames.append(curves)
    return typed_table(frames, survival.SURVIVAL_SCHEMA)
