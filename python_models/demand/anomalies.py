"""ml.anomalies: unusual days (robust score of the STL residual), orders and customers
(IsolationForest, One-Class SVM, autoencoder), with the reason of each."""

from retail_warehouse.ml.common import measured, neural_enabled
from retail_warehouse.ml.demand import tables


@measured
def model(dbt, session):
    return tables.anomalies(
        dbt.ref("seasonality_components")
        .project("store, series_id, series_date, observed_value, trend_value, seasonal_value, residual_score")
        .df(),
        dbt.ref("fct_orders").project(tables.ORDER_COLUMNS).df(),
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        contamination=float(dbt.config.get("contamination")),
        daily_threshold=float(dbt.config.get("daily_threshold")),
        svm_sample_size=int(dbt.config.get("svm_sample_size")),
        autoencoder_sample_size=int(dbt.config.get("autoencoder_sample_size")),
        seed=int(dbt.config.get("seed")),
        neural=neural_enabled(dbt.config.get("neural")),
    )
