"""ml_registry.anomaly_refit_decisions: per store and detector model (order_anomaly_detectors,
customer_anomaly_detectors), whether this build refits it or scores with the registered one, and
why (retail_warehouse.ml.demand.registry).

It reads the registry as the previous build published it (the build copy starts from the served
file), by name: a ref would be a cycle, since it is built after this model. Absent (first
build): no model registered."""

import pandas as pd

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import registry as anomaly_registry
from retail_warehouse.ml.demand import tables

PREVIOUS_COLUMNS = (
    "store, model_name, version, fitted_at, training_window_end, input_schema_hash, library_versions, model_bytes"
)


@measured
def model(dbt, session):
    # Plain assignments: dbt finds the config keys a Python model reads by parsing its calls.
    ml_refit = dbt.config.get("ml_refit")
    refit_days = dbt.config.get("refit_days")
    psi_threshold = dbt.config.get("psi_threshold")
    previous = registry.previous_table(session, "ml_registry", "anomaly_models", PREVIOUS_COLUMNS)
    return anomaly_registry.decisions(
        anomaly_registry.store_inputs(
            dbt.ref("fct_orders").project(tables.ORDER_COLUMNS).df(),
            dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        ),
        previous if previous is not None else pd.DataFrame(),
        settings=tables.detector_settings(
            contamination=dbt.config.get("contamination"),
            svm_sample_size=dbt.config.get("svm_sample_size"),
            autoencoder_sample_size=dbt.config.get("autoencoder_sample_size"),
            seed=dbt.config.get("seed"),
            neural=dbt.config.get("neural"),
        ),
        cadence_days=int(refit_days),
        psi_threshold=float(psi_threshold),
        force=registry.is_true(ml_refit),
    )
