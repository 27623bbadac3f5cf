"""ml.model_refresh_log: one row per build and persisted model/store (segmentation, and the
customer value models: churn classifier, spend regression, BG/NBD / MBG/NBD + Gamma-Gamma; the
anomaly detectors of orders and customers; the forecaster of each demand series; each store's
recommender), refitted or scored, why, duration and peak memory; the customer value rows also
say whether the store's evaluations (the validation tables, part of the fit) were evaluated or
kept, and why. Incremental: every build appends its rows.

Each area's decisions table is replaced by the build that runs that area; a decision already
logged (its build_id is in the log: the area did not run on this build, e.g. a selection) is not
logged again."""

import pandas as pd

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import registry as cv_registry
from retail_warehouse.ml.demand import forecast_registry
from retail_warehouse.ml.demand import registry as anomaly_registry
from retail_warehouse.ml.recommendations import registry as recommendation_registry
from retail_warehouse.ml.segmentation import scheduled


def _unlogged(decisions: pd.DataFrame, logged: set) -> pd.DataFrame:
    return decisions[~decisions["build_id"].isin(logged)]


@measured
def model(dbt, session):
    dbt.config(materialized="incremental", on_schema_change="append_new_columns")
    logged = set()
    if dbt.is_incremental:
        logged = {row[0] for row in session.sql(f"select distinct build_id from {dbt.this}").fetchall()}
    segmentation = _unlogged(dbt.ref("segmentation_refit_decisions").df(), logged)
    segmentation_registry = (
        dbt.ref("segmentation_models").project("store, version, build_id, refit_reason, fitted_at").df()
    )
    customer_value = _unlogged(dbt.ref("customer_value_refit_decisions").df(), logged)
    customer_value_registry = (
        dbt.ref("customer_value_models").project("store, model_name, version, build_id, refit_reason, fitted_at").df()
    )
    customer_value_evaluations = dbt.ref("customer_value_evaluation_decisions").df()
    anomaly = _unlogged(dbt.ref("anomaly_refit_decisions").df(), logged)
    anomaly_models = (
        dbt.ref("anomaly_models").project("store, model_name, version, build_id, refit_reason, fitted_at").df()
    )
    forecast = _unlogged(dbt.ref("forecast_refit_decisions").df(), logged)
    forecast_models = (
        dbt.ref("forecast_models")
        .project("store, model_name, version, build_id, refit_reason, fitted_at, chosen_model, refitted_every_build")
        .df()
    )
    recommendation = _unlogged(dbt.ref("recommendation_refit_decisions").df(), logged)
    recommendation_models = (
        dbt.ref("recommendation_models").project("store, model_name, version, build_id, refit_reason, fitted_at").df()
    )
    # After the scoring: its figures are part of the row.
    dbt.ref("customer_segments")
    dbt.ref("churn_scores")
    dbt.ref("customer_value_predictions")
    dbt.ref("store_value_forecast")
    dbt.ref("anomalies")
    dbt.ref("demand_forecast")
    dbt.ref("product_recommendations")
    frames = [
        scheduled.refresh_log(
            segmentation,
            segmentation_registry[segmentation_registry["build_id"].isin(segmentation["build_id"])],
            segmentation_registry,
        ),
        cv_registry.refresh_log(
            customer_value,
            customer_value_registry[customer_value_registry["build_id"].isin(customer_value["build_id"])],
            customer_value_registry,
            customer_value_evaluations[customer_value_evaluations["build_id"].isin(customer_value["build_id"])],
        ),
        anomaly_registry.refresh_log(
            anomaly, anomaly_models[anomaly_models["build_id"].isin(anomaly["build_id"])], anomaly_models
        ),
        forecast_registry.refresh_log(
            forecast, forecast_models[forecast_models["build_id"].isin(forecast["build_id"])], forecast_models
        ),
        recommendation_registry.refresh_log(
            recommendation,
            recommendation_models[recommendation_models["build_id"].isin(recommendation["build_id"])],
            recommendation_models,
        ),
    ]
    return pd.concat([frame for frame in frames if len(frame)] or frames[:1], ignore_index=True)
