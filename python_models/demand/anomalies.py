"""ml.anomalies: unusual days (robust score of the STL residual), orders and customers
(IsolationForest, One-Class SVM, MLP autoencoder), with the reason of each."""

from retail_warehouse.ml.anomalies import DetectorSettings, assemble_anomalies
from retail_warehouse.ml.progress import log_progress, timed_step


def model(dbt, session):
    dbt.config(materialized="table")
    settings = DetectorSettings(
        contamination=float(dbt.config.get("contamination")),
        svm_sample_size=int(dbt.config.get("svm_sample_size")),
        autoencoder_sample_size=int(dbt.config.get("autoencoder_sample_size")),
        seed=int(dbt.config.get("seed")),
    )
    components = dbt.ref("seasonality_components").df()
    orders = (
        dbt.ref("fct_orders")
        .project(
            "store, order_key, customer_key, order_date, order_type, is_cancelled, total_quantity, "
            "gross_sales_amount, cancellation_amount, line_count, distinct_product_count"
        )
        .df()
    )
    customers = dbt.ref("customer_features").df()
    with timed_step("anomalies", "detectors"):
        anomalies = assemble_anomalies(
            components,
            orders,
            customers,
            settings,
            float(dbt.config.get("daily_threshold")),
            log=lambda message: log_progress("anomalies", message),
        )
    return anomalies
