"""ml_registry.segmentation_refit_decisions: per store, whether this build refits the segmentation
or scores with the registered model, and why (retail_warehouse.ml.segmentation.registry).

It reads the registry and the refresh policy as the previous build published them (the build
copy starts from the served file), by name: a ref would be a cycle, since both are built after
this model. Absent (first build): no model registered, no policy."""

import pandas as pd

from retail_warehouse.ml import registry
from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import scheduled, tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    # A plain assignment: dbt finds the config keys a Python model reads by parsing its calls.
    ml_refit = dbt.config.get("ml_refit")
    registry_rows = registry.previous_table(
        session,
        "ml_registry",
        "segmentation_models",
        "store, version, fitted_at, input_schema_hash, library_versions, model_bytes",
    )
    policy = registry.previous_table(
        session, "ml", "segment_refresh_policy", "distinct store, cadence_status, refit_every_months"
    )
    return scheduled.refit_decisions(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        registry_rows if registry_rows is not None else pd.DataFrame(),
        policy if policy is not None else pd.DataFrame(),
        SegmentationConfig(
            seed=int(dbt.config.get("seed")),
            fit_sample_size=int(dbt.config.get("fit_sample_size")),
            pairwise_sample_size=int(dbt.config.get("pairwise_sample_size")),
        ),
        force=registry.is_true(ml_refit),
        fallback_days=int(dbt.config.get("refit_days")),
        ari_threshold=float(dbt.config.get("ari_threshold")),
    )
