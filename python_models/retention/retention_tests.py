"""Log-rank tests of equal time to next order between groups (ml.retention_tests)."""

from retail_warehouse.ml import survival
from retail_warehouse.ml.progress import log_progress, timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "retention_tests"


def model(dbt, session):
    orders = survival.load_customer_orders(dbt.ref("fct_orders"))
    end_dates = survival.load_store_end_dates(dbt.ref("fct_orders"))
    groups = survival.load_customer_groups(dbt.ref("dim_customers"), dbt.ref("customer_rfm"))
    frames = []
    for store in sorted(orders["store"].unique()):
        with timed_step(MODEL, f"{store}: log-rank tests"):
            frame = survival.store_survival_frame(
                orders[orders["store"] == store], groups[groups["store"] == store], store, end_dates[store]
            )
            tests = survival.store_tests(frame, store)
        log_progress(MODEL, f"{store}: {len(tests)} tests")
        frames.append(tests)
    return typed_table(frames, survival.TESTS_SCHEMA)
