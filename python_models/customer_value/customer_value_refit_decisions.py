"""ml_registry.customer_value_refit_decisions: per store and served model (churn classifier,
spend regression, BG/NBD or MBG/NBD + Gamma-Gamma), whether this build refits it or scores with
the registered one, and why (retail_warehouse.ml.customer_value.registry). A store whose
evaluations were kept (customer_value_evaluation_decisions) serves the models decided on there:
those decisions are its rows; a store decided again takes what they recorded of its sale orders
(count, window, fingerprint), which are not read again. The order history is read per customer
(tables.order_history), and only for the stores decided again (registry.StoreInputs).

It reads the registry as the previous build published it (the build copy starts from the served
file), by name: a ref would be a cycle, since it is built after this model. Absent (first
build): no model registered."""

import pandas as pd

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import registry as cv_registry
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    # Plain assignments: dbt finds the config keys a Python model reads by parsing its calls.
    ml_refit = dbt.config.get("ml_refit")
    churn_refit_days = dbt.config.get("churn_refit_days")
    value_refit_days = dbt.config.get("value_refit_days")
    btyd_refit_days = dbt.config.get("btyd_refit_days")
    psi_threshold = dbt.config.get("psi_threshold")
    previous = registry.previous_table(session, "ml_registry", "customer_value_models", cv_registry.PREVIOUS_COLUMNS)
    churn_metrics = dbt.ref("churn_model_metrics").df()
    value_metrics = dbt.ref("customer_value_metrics").df()
    inputs = tables.store_inputs(
        dbt.ref("customer_features").project(tables.SCORING_COLUMNS).df(),
        tables.order_history(dbt.ref("fct_orders")),
        tables.sampled_example_relation(
            dbt.ref("customer_value_examples"),
            seed=int(dbt.config.get("seed")),
            max_fit_customers=int(dbt.config.get("max_fit_customers")),
            max_evaluation_customers=int(dbt.config.get("max_evaluation_customers")),
        ).df(),
        dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
    )
    return cv_registry.decisions(
        inputs,
        tables.required_models(inputs, churn_metrics, value_metrics),
        previous if previous is not None else pd.DataFrame(),
        cadences={
            "churn_refit_days": int(churn_refit_days),
            "value_refit_days": int(value_refit_days),
            "btyd_refit_days": int(btyd_refit_days),
        },
        psi_threshold=float(psi_threshold),
        force=registry.is_true(ml_refit),
        kept=dbt.ref("customer_value_evaluation_decisions").df(),
    )
