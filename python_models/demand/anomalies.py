"""ml.anomalies: unusual days (robust score of the STL residual), orders and customers
(IsolationForest, One-Class SVM, autoencoder), with the reason of each. The orders and
customers are scored with the newest registered detectors of ml_registry.anomaly_models (fitted
on their schedule: anomaly_refit_decisions)."""

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.anomalies(
        dbt.ref("seasonality_components")
        .project("store, series_id, series_date, observed_value, trend_value, seasonal_value, residual_score")
        .df(),
        dbt.ref("fct_orders").project(tables.ORDER_COLUMNS).df(),
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("anomaly_models").query("registry", registry.LATEST_MODELS).df(),
        daily_threshold=float(dbt.config.get("daily_threshold")),
        settings=tables.detector_settings(
            contamination=dbt.config.get("contamination"),
            svm_sample_size=dbt.config.get("svm_sample_size"),
            autoencoder_sample_size=dbt.config.get("autoencoder_sample_size"),
            seed=dbt.config.get("seed"),
            neural=dbt.config.get("neural"),
        ),
    )
