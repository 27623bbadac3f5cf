"""ml_registry.customer_value_evaluation_decisions: per store, whether this build runs the
evaluations of its customer value models (the validation tables that choose what is fitted: part
of the fit) or keeps their rows of the last evaluation, and why
(retail_warehouse.ml.customer_value.registry.evaluation_decisions): evaluated when a model the
store's previous evaluation serves is refitted (the shared decision, taken here before the
evaluations; customer_value_refit_decisions reuses it for the stores kept).

It reads the registry and the evaluation tables as the previous build published them (the build
copy starts from the served file), by name: refs would be cycles, since they are built after
this model. Absent (first build): nothing registered, no previous evaluation. The order history is read per customer
(tables.order_history: the RFM summary and the recent activity at the scoring day computed in
DuckDB) and the sale orders fingerprinted in chunks (registry.StoreInputs), never whole."""

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
    served, has_previous = tables.previous_served(
        inputs, *(registry.previous_table(session, "ml", name, "*") for name in tables.PREVIOUS_EVALUATIONS)
    )
    return cv_registry.evaluation_decisions(
        inputs,
        served,
        previous if previous is not None else pd.DataFrame(),
        has_previous_evaluation=has_previous,
        cadences={
            "churn_refit_days": int(churn_refit_days),
            "value_refit_days": int(value_refit_days),
            "btyd_refit_days": int(btyd_refit_days),
        },
        psi_threshold=float(psi_threshold),
        force=registry.is_true(ml_refit),
    )
