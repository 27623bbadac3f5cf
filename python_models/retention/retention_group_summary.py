"""Median time to next order and survival at fixed horizons per group
(ml.retention_group_summary)."""

from retail_warehouse.ml import survival
from retail_warehouse.ml.progress import timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "retention_group_summary"


def model(dbt, session):
    orders = survival.load_customer_orders(dbt.ref("fct_orders"))
    end_dates = survival.load_store_end_dates(dbt.ref("fct_orders"))
    groups = survival.load_customer_groups(dbt.ref("dim_customers"), dbt.ref("customer_rfm"))
    frames = []
    for store in sorted(orders["store"].unique()):
        with timed_step(MODEL, f"{store}: group medians"):
            frame = survival.store_survival_frame(
                orders[orders["store"] == store], groups[groups["store"] == store], store, end_dates[store]
            )
            _, summary = survival.store_curves_and_summary(frame, store)
        frames.append(summary)
    return typed_table(frames, survival.SUMMARY_SCHEMA)
