"""Log-rank tests of equal time to next order between groups (ml.retention_tests)."""

from retail_warehouse.ml import survival
from retail_warehouse.ml.progress import log_progress, timed_step
from retail_warehouse.ml.typed_tables import typed_table

MODEL = "retention_tests"


def model(dbt, session):
    frames_by_store = survival.survival_frames_by_store(
        dbt.ref("fct_orders"), dbt.ref("dim_customers"), dbt.ref("customer_rfm")
    )
    frames = []
    for store, frame in frames_by_store.items():
        with timed_step(MODEL, f"{store}: log-rank tests"):
            tests = survival.store_tests(frame, store)
        log_progress(MODEL, f"{store}: {len(tests)} tests")
        frames.append(tests)
    return typed_table(frames, survival.TESTS_SCHEMA)
