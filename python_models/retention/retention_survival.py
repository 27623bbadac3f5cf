"""Kaplan-Meier curves of the time from first to next order, per group (ml.retention_survival)."""

from retail_warehouse.ml import survival
from retail_warehouse.ml.progress import log_progress, timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "retention_survival"


def model(dbt, session):
    orders = survival.load_customer_orders(dbt.ref("fct_orders"))
    end_dates = survival.load_store_end_dates(dbt.ref("fct_orders"))
    groups = survival.load_customer_groups(dbt.ref("dim_customers"), dbt.ref("customer_rfm"))
    frames = []
    for store in sorted(orders["store"].unique()):
        with timed_step(MODEL, f"{store}: Kaplan-Meier curves"):
            frame = survival.store_survival_frame(
                orders[orders["store"] == store], groups[groups["store"] == store], store, end_dates[store]
            )
            curves = survival.store_curves(frame, store)
        log_progress(MODEL, f"{store}: {len(frame)} customers, {len(curves)} curve points")
        frames.append(curves)
    return typed_table(frames, survival.SURVIVAL_SCHEMA)
