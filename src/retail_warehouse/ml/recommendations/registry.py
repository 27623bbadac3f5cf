"""Fit on schedule, score every build: each store's serving recommender, persisted in
ml_registry.recommendation_models (retail_warehouse.ml.registry holds the shared parts).

One model per store (model_name `recommender`): the store's serving method (policy.py) at its
item level, fitted on the baskets of a seeded hash sample of at most var
recommendation_fit_max_customers of its customers (all of them below that), kept as an algorithms.FittedRecommender: the item
axis in popularity order at the fit (at most var recommendation_fit_max_items items, the most
popular of the sample), the items' buyer shares and the method's item-side state
(svd: the truncated SVD's components; item_item_cf: the item x item cosine similarities;
association_rules: the rule confidences; item2vec: the item vectors; popularity and buy-again:
the axis and shares alone). Nothing of a customer is in it: ml.product_recommendations scores
every active customer from their baskets as they are on this build (a new customer or a new
purchase counts at once), on the registered item axis (an item first bought after the fit is not
recommended until a refit). The fit is the evaluation too: ml.recommendation_metrics (every method,
item2vec with var ml_neural, against the baselines) runs for a store only when its recommender is
refitted, and the registry row keeps the serving method's validation metrics. The association
rules of ml.product_associations are co-occurrence counts in DuckDB, cheap, and serve no store:
that table is counted on every build, as before.

`decisions` refits a store's recommender (shared registry.decide) when var ml_refit is true;
none is registered or it cannot be loaded (corrupt, another class, another method); the input
schema or a library version changed; the settings changed (the store's policy, ml_neural,
ml_evaluation_max_customers, recommendation_fit_max_customers, recommendation_fit_max_items,
ml_seed); it is due (fitted_at + var recommendation_refit_days); or
the early-refit trigger fires: the customers who ordered after its training window (those with
baskets on both sides of its end, a seeded hash sample of at most ml_evaluation_max_customers,
at least MIN_RECENT_CUSTOMERS with a new item) get its top k new items from their history up to
that end, and their hit rate on the items new to them bought since is below var
recommendation_refit_hit_rate_ratio x its validation hit rate (the serving method's new_items
hit rate in the evaluation of its fit). Otherwise the build scores with it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import duckdb
import numpy as np
import pandas as pd

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.common import log_progress, measured_model, single_threaded
from retail_warehouse.ml.recommendations import baskets
from retail_warehouse.ml.recommendations.algorithms import (
    FittedRecommender,
    fit_recommender,
    interactions_from_counts,
    recommend,
    rules_from_counts,
)
from retail_warehouse.ml.recommendations.evaluation import HEADLINE_PROTOCOL
from retail_warehouse.ml.recommendations.policy import RECOMMENDATIONS_PER_CUSTOMER, settings_for

AREA = "recommendations"
MODEL = "recommendation_registry"
MODEL_NAME = "recommender"
LIBRARIES = ("scikit-learn", "numpy", "scipy", "pandas", "torch")
CADENCE_VAR = "recommendation_refit_days"
# Fewer recent customers with a new item than this: the hit rate since the fit is noise.
MIN_RECENT_CUSTOMERS = 30

# The figures of the steps of this process, for ml.model_refresh_log:
# (store, model_name, step) -> the measured_model record.
STEP_RECORDS: dict[tuple[str, str, str], dict] = {}


def library_versions() -> str:
    return shared.library_versions(LIBRARIES)


@dataclass(frozen=True)
class RecommenderSettings:
    """What the evaluation and the fit of a store read (its policy.StoreSettings, ml_neural,
    ml_evaluation_max_customers, recommendation_fit_max_customers, recommendation_fit_max_items,
    ml_seed): a change refits."""

    item_level: str
    evaluation_levels: tuple[str, ...]
    serving_method: str
    min_support: float
    min_pair_baskets: int
    max_consequents: int
    n_components: int
    holdout_days: int
    k: int
    neural: bool
    max_customers: int
    fit_max_customers: int
    fit_max_items: int
    seed: int

    def as_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)


def store_settings(
    store: str, *, neural: bool, max_customers: int, fit_max_customers: int, fit_max_items: int, seed: int
) -> RecommenderSettings:
    policy = settings_for(store)
    return RecommenderSettings(
        item_level=policy.item_level,
        evaluation_levels=policy.evaluation_levels,
        serving_method=policy.serving_method,
        min_support=policy.min_support,
        min_pair_baskets=policy.min_pair_baskets,
        max_consequents=policy.max_consequents,
        n_components=policy.n_components,
        holdout_days=policy.holdout_days,
        k=RECOMMENDATIONS_PER_CUSTOMER,
        neural=neural,
        max_customers=max_customers,
        fit_max_customers=fit_max_customers,
        fit_max_items=fit_max_items,
        seed=seed,
    )


def load(blob: bytes, method: str | None = None) -> FittedRecommender:
    """The registered recommender; an error when it cannot be loaded or (method given) fits
    another method."""
    fitted = shared.load(blob, FittedRecommender)
    if method is not None and fitted.method != method:
        raise ValueError(f"registered method {fitted.method!r}, the store serves {method!r}")
    return fitted


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class StoreInput:
    """What a decision records of a store's baskets at its item level: the customers and items
    with a basket of a customer, the fingerprint and schema hash of the baskets per customer and
    item (customer_key, item_key, baskets; sorted; read in chunks, baskets.customer_item_chunks)
    and the first and last order day."""

    customers: int
    items: int
    fingerprint: str
    schema_hash: str
    first_day: dt.date | None
    last_day: dt.date | None


def store_input(items: duckdb.DuckDBPyRelation, store: str) -> StoreInput:
    """StoreInput of baskets.basket_items of one store and level (materialized)."""
    first, last = items.query("baskets", "select min(order_day), max(order_day) from baskets").fetchone()
    customers, n_items = baskets.customers_and_items(items, store, None)
    stats = shared.input_stats(baskets.customer_item_chunks(items, store), None)
    return StoreInput(customers, n_items, stats.fingerprint, stats.schema_hash, first, last)


def fit_store(
    items: duckdb.DuckDBPyRelation, store: str, settings: RecommenderSettings
) -> tuple[FittedRecommender, baskets.FitCounts]:
    """The store's serving recommender fitted on the baskets of a seeded hash sample of at most
    settings.fit_max_customers of its customers on the settings.fit_max_items most popular items
    of the sample (baskets.fit_counts, as its evaluation), and what it was fitted on (items: its
    basket items at settings.item_level; the association rules, mined only for
    association_rules, count every basket in DuckDB)."""
    rules = None
    if settings.serving_method == "association_rules":
        rules = rules_from_counts(
            *baskets.rule_counts(items, store, settings.min_support, settings.min_pair_baskets),
            settings.max_consequents,
        )
    fit = baskets.fit_counts(items, store, None, settings.fit_max_customers, settings.fit_max_items, settings.seed)
    train = interactions_from_counts(fit.counts)
    with single_threaded():
        fitted = fit_recommender(settings.serving_method, train, rules, settings.n_components, settings.seed)
    return fitted, fit


@dataclass(frozen=True)
class RecentHits:
    """The registered recommender on the customers who ordered after its training window:
    how many had a new item (evaluated) and its hit rate@k on them (None: fewer than
    MIN_RECENT_CUSTOMERS)."""

    customers: int
    hit_rate: float | None


def recent_hits(
    items: duckdb.DuckDBPyRelation, store: str, fitted: FittedRecommender, training_end: dt.date, settings
) -> RecentHits:
    """Hit rate@k of the registered recommender since its fit (module docstring): the new
    items protocol of the evaluation, with the registered state instead of a refit."""
    last = items.query("baskets", "select max(order_day) from baskets").fetchone()[0]
    if last is None:
        return RecentHits(0, None)
    sample = baskets.in_query(
        baskets.hash_sample(baskets.held_out_query(store, training_end, last), settings.max_customers, settings.seed)
    )
    history = baskets.customer_item_counts(items, store, through=training_end, customers=sample)
    recent = baskets.customer_item_counts(items, store, after=training_end, customers=sample)
    recent = recent[["customer_key", "item_key"]]
    bought = recent.merge(history[["customer_key", "item_key"]], how="left", indicator=True)
    new = bought[bought["_merge"] == "left_only"][["customer_key", "item_key"]]
    evaluated = np.sort(new["customer_key"].unique()).astype(object)
    if len(evaluated) < MIN_RECENT_CUSTOMERS:
        return RecentHits(len(evaluated), None)
    with single_threaded():
        top = recommend(fitted, history[history["customer_key"].isin(evaluated)], evaluated, settings.k)
    hits = top.merge(new, on=["customer_key", "item_key"])["customer_key"].nunique()
    return RecentHits(len(evaluated), hits / len(evaluated))


DECISION_COLUMNS = {
    "build_id": "object",
    "decided_at": "datetime64[us]",
    "store": "object",
    "model_name": "object",
    "serving_method": "object",
    "item_level": "object",
    "action": "object",
    "reason": "object",
    "registered_version": "Int64",
    "registered_fitted_at": "datetime64[us]",
    "refit_due_at": "datetime64[us]",
    "cadence_days": "Int64",
    "cadence_var": "object",
    "validation_hit_rate": "float64",
    "recent_customers": "Int64",
    "recent_hit_rate": "float64",
    "recent_hit_rate_ratio": "float64",
    "hit_rate_ratio_threshold": "float64",
    "training_customers": "int64",
    "training_items": "int64",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "settings": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "decision_seconds": "float64",
    "decision_peak_mb": "float64",
}


def _optional(value) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _decision_row(items, store, data: StoreInput, registered_row, settings, cadence, ratio_threshold, force, now):
    libraries = library_versions()
    schema_hash = data.schema_hash
    registered, load_error, hits, validation = None, None, None, None
    triggers, checks = [], []
    if registered_row is not None:
        registered = shared.as_registered(registered_row)
        validation = _optional(registered_row["validation_hit_rate"])
        try:
            fitted = load(registered_row["model_bytes"], settings.serving_method)
            end = pd.Timestamp(registered_row["training_window_end"]).date()
            hits = recent_hits(items, store, fitted, end, settings)
        except Exception as failure:  # a model that cannot be loaded is refitted, never a failed build
            load_error = shared.load_error(failure)
        if registered_row["settings"] != settings.as_json():
            triggers.append(f"settings changed ({registered_row['settings']} -> {settings.as_json()})")
    ratio = None
    if hits is None:
        pass
    elif hits.hit_rate is None:
        checks.append(
            f"{hits.customers} customers with a new item since the fit: the hit-rate check needs {MIN_RECENT_CUSTOMERS}"
        )
    elif not validation:
        checks.append(
            f"hit rate {hits.hit_rate:.3f} on {hits.customers} customers since the fit: no validation hit rate"
        )
    else:
        ratio = hits.hit_rate / validation
        measured = (
            f"hit rate@{settings.k} {hits.hit_rate:.3f} on the {hits.customers} customers with a new item since the "
            f"fit = {ratio:.2f} x its validation hit rate {validation:.3f}"
        )
        if ratio < ratio_threshold:
            triggers.append(f"early refit: {measured} < {ratio_threshold}")
        else:
            checks.append(f"{measured} >= {ratio_threshold}")
    decision = shared.decide(
        registered,
        now=now,
        cadence=cadence,
        schema_hash=schema_hash,
        libraries=libraries,
        force=force,
        load_error=load_error,
        triggers=tuple(triggers),
        checks=tuple(checks),
    )
    return {
        "decided_at": now,
        "serving_method": settings.serving_method,
        "item_level": settings.item_level,
        **shared.decision_fields(registered, decision, cadence, CADENCE_VAR),
        "validation_hit_rate": validation,
        "recent_customers": hits.customers if hits is not None else None,
        "recent_hit_rate": hits.hit_rate if hits is not None else None,
        "recent_hit_rate_ratio": ratio,
        "hit_rate_ratio_threshold": ratio_threshold,
        "training_customers": data.customers,
        "training_items": data.items,
        "training_window_start": data.first_day,
        "training_window_end": data.last_day,
        "settings": settings.as_json(),
        "input_fingerprint": data.fingerprint,
        "input_schema_hash": schema_hash,
        "library_versions": libraries,
    }


def decisions(
    stores,
    previous_registry: pd.DataFrame,
    *,
    cadence_days: int,
    ratio_threshold: float,
    force: bool,
    now: datetime | None = None,
    build_id: str | None = None,
) -> pd.DataFrame:
    """ml_registry.recommendation_refit_decisions: refit or score, per store. stores: (store,
    settings, basket items at the settings' item level: a materialized relation) of every store
    with a sale line."""
    now = now or _now()
    by_store = {store: (settings, items) for store, settings, items in stores}

    def decide(store, _name, registered_row):
        settings, items = by_store[store]
        data = store_input(items, store)
        return _decision_row(items, store, data, registered_row, settings, cadence_days, ratio_threshold, force, now)

    return shared.decision_table(
        [
            (store, MODEL_NAME, f"{settings.serving_method} at {settings.item_level} level")
            for store, (settings, _) in by_store.items()
        ],
        previous_registry,
        decide,
        table="recommendation_refit_decisions",
        log_as=MODEL,
        columns=DECISION_COLUMNS,
        step_records=STEP_RECORDS,
        build_id=build_id or shared.BUILD_ID,
    )


def refit_stores(decided: pd.DataFrame) -> set[str]:
    """The stores whose recommender this build refits."""
    return set(decided.loc[decided["action"] == "refit", "store"])


REGISTRY_COLUMNS = {
    "store": "object",
    "model_name": "object",
    "version": "int64",
    "serving_method": "object",
    "item_level": "object",
    "fitted_at": "datetime64[us]",
    "build_id": "object",
    "refit_reason": "object",
    "training_window_start": "datetime64[us]",
    "training_window_end": "datetime64[us]",
    "training_customers": "int64",
    "training_items": "int64",
    "fitted_customers": "int64",
    "fit_max_items": "int64",
    "validation_train_end_date": "datetime64[us]",
    "validation_test_end_date": "datetime64[us]",
    "validation_customers": "Int64",
    "validation_hit_rate": "float64",
    "validation_hit_rate_vs_best_baseline": "float64",
    "validation_verdict": "object",
    "settings": "object",
    "input_fingerprint": "object",
    "input_schema_hash": "object",
    "library_versions": "object",
    "fit_seconds": "float64",
    "fit_peak_mb": "float64",
    "model_format": "object",
    "model_bytes": "object",
}


def validation_row(metrics: pd.DataFrame, store: str) -> pd.Series | None:
    """The serving method's headline row of a store's evaluation (ml.recommendation_metrics),
    None when it has none (nothing to evaluate)."""
    rows = metrics[
        (metrics["store"] == store) & metrics["is_serving_method"] & (metrics["protocol"] == HEADLINE_PROTOCOL)
    ]
    return rows.iloc[0] if len(rows) else None


def fit_registered(
    stores,
    decided: pd.DataFrame,
    metrics: pd.DataFrame,
    previous_versions: dict[tuple[str, str], int],
    *,
    refit_everything: bool,
) -> pd.DataFrame:
    """ml_registry.recommendation_models rows of the recommenders fitted on this build: the
    serving recommender of each store the decision says to refit (every one when the registry
    is built anew), fitted on its baskets (fit_store), with its validation metrics (metrics: the
    serving rows of ml.recommendation_metrics, as this build's evaluation wrote them). stores:
    as decisions takes them."""
    decided = decided.set_index("store")
    rows = []
    for store, settings, items in stores:
        if store not in decided.index:
            continue
        decision = decided.loc[store]
        if decision["action"] != "refit" and not refit_everything:
            continue
        reason = (
            decision["reason"] if decision["action"] == "refit" else "registry built anew (first or full-refresh build)"
        )
        with measured_model(f"recommendation_models[{store}, {MODEL_NAME}]") as record:
            fitted, fit = fit_store(items, store, settings)
            blob = shared.dump(fitted)
        shared.add_score_record(STEP_RECORDS, store, [MODEL_NAME], record, step="fit")
        spent = STEP_RECORDS[(store, MODEL_NAME, "fit")]
        validation = validation_row(metrics, store)
        rows.append(
            {
                "store": store,
                "model_name": MODEL_NAME,
                "version": previous_versions.get((store, MODEL_NAME), 0) + 1,
                "serving_method": fitted.method,
                "item_level": settings.item_level,
                "fitted_at": decision["decided_at"],
                "build_id": decision["build_id"],
                "refit_reason": reason,
                "training_window_start": decision["training_window_start"],
                "training_window_end": decision["training_window_end"],
                "training_customers": decision["training_customers"],
                "training_items": len(fitted.items),
                "fitted_customers": fit.fitted_customers,
                "fit_max_items": settings.fit_max_items,
                "validation_train_end_date": None if validation is None else validation["train_end_date"],
                "validation_test_end_date": None if validation is None else validation["test_end_date"],
                "validation_customers": None if validation is None else validation["evaluated_customers"],
                "validation_hit_rate": None if validation is None else validation["hit_rate_at_k"],
                "validation_hit_rate_vs_best_baseline": (
                    None if validation is None else validation["hit_rate_vs_best_baseline"]
                ),
                "validation_verdict": None if validation is None else validation["verdict"],
                "settings": decision["settings"],
                "input_fingerprint": decision["input_fingerprint"],
                "input_schema_hash": decision["input_schema_hash"],
                "library_versions": decision["library_versions"],
                "fit_seconds": spent["seconds"],
                "fit_peak_mb": spent["rss_peak_mb"],
                "model_format": shared.MODEL_FORMAT,
                "model_bytes": blob,
            }
        )
        log_progress(MODEL, f"{store}: registered version {rows[-1]['version']}, {fitted.method} ({reason})")
    return shared.registry_frame(rows, REGISTRY_COLUMNS)


def registered_models(registry_rows: pd.DataFrame, log=None) -> dict[str, FittedRecommender]:
    """store -> the newest registered recommender that loads (registry_rows: store, model_name,
    version, model_bytes; registry.LATEST_MODELS). A store without one is left out, logged (the
    decisions refit a model that cannot be loaded, so this does not happen on a passing build)."""
    latest = shared.latest_versions(registry_rows, ("store", "model_name"))
    models = {}
    for row in latest.itertuples():
        try:
            models[row.store] = load(row.model_bytes)
        except Exception as error:
            if log is not None:
                log(f"{row.store}: registered version {row.version} does not load ({shared.load_error(error)})")
    return models


def refresh_log(decided: pd.DataFrame, fitted_now: pd.DataFrame, registry_rows: pd.DataFrame) -> pd.DataFrame:
    """ml.model_refresh_log rows of this build for the recommenders."""
    return shared.refresh_log(decided, fitted_now, registry_rows, STEP_RECORDS, area=AREA, logged_at=_now())
