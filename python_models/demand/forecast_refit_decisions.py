"""ml_registry.forecast_refit_decisions: per store and demand series, whether this build refits
its forecaster (the backtest, the choice and the estimate) or forecasts with the registered one,
and why (retail_warehouse.ml.demand.forecast_registry).

It reads the registry as the previous build published it (the build copy starts from the served
file), by name: a ref would be a cycle, since it is built after this model. Absent (first
build): no model registered."""

import pandas as pd

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.demand import tables

PREVIOUS_COLUMNS = (
    "store, model_name, version, chosen_model, fitted_at, training_window_end, backtest_mase, forecast_settings, "
    "input_schema_hash, library_versions, model_bytes"
)


@measured
def model(dbt, session):
    # Plain assignments: dbt finds the config keys a Python model reads by parsing its calls.
    ml_refit = dbt.config.get("ml_refit")
    refit_days = dbt.config.get("refit_days")
    mase_ratio = dbt.config.get("mase_ratio")
    previous = registry.previous_table(session, "ml_registry", "forecast_models", PREVIOUS_COLUMNS)
    return tables.forecast_refit_decisions(
        dbt.ref("demand_series").project(tables.SERIES_COLUMNS).df(),
        previous if previous is not None else pd.DataFrame(),
        settings=tables.forecast_settings(
            horizon_days=dbt.config.get("horizon_days"),
            fold_count=dbt.config.get("backtest_folds"),
            prophet_dimensions=dbt.config.get("prophet_dimensions"),
            neural=dbt.config.get("neural"),
            seed=dbt.config.get("seed"),
        ),
        cadence_days=int(refit_days),
        mase_ratio=float(mase_ratio),
        force=registry.is_true(ml_refit),
    )
