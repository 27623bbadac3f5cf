"""The tables of python_models/recommendations/, one function per dbt model: each runs the
store's policy (policy.py) over its sale lines, store by store, and returns the model's table.

Inputs, projected in DuckDB by the models: the product sale lines of marts.fct_order_lines
(postage, fees and cancelled items left out) in a stable order, marts.dim_products,
marts.customer_features (store, customer_key, recency_days) and marts.store_data_ends (store,
data_end_date). The lines and products come as DuckDB relations and are counted there
(baskets.py): pandas sees customers x items and item pairs, never lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import duckdb
import numpy as np
import pandas as pd

from retail_warehouse.ml import registry as shared
from retail_warehouse.ml.common import (
    log_progress,
    measured_model,
    neural_enabled,
    schema,
    single_threaded,
    timed_step,
    typed_table,
)
from retail_warehouse.ml.recommendations import baskets, registry
from retail_warehouse.ml.recommendations.algorithms import FittedRecommender, recommend, rules_from_counts
from retail_warehouse.ml.recommendations.evaluation import (
    HEADLINE_PROTOCOL,
    compare_with_baselines,
    evaluate_baskets,
)
from retail_warehouse.ml.recommendations.policy import (
    ACTIVE_WITHIN_DAYS,
    RECOMMENDATIONS_PER_CUSTOMER,
    item_names,
    settings_for,
)

# How the models read marts.fct_order_lines: the product sale lines.
SALE_LINES = "line_type = 'sale' and is_product"
LINE_COLUMNS = "store, order_key, customer_key, ordered_at, product_key"
PRODUCT_COLUMNS = "product_key, product_name, category_name_english"

# ml.product_recommendations scores the active customers this many at a time.
SCORING_CHUNK_CUSTOMERS = 50_000

ASSOCIATIONS_SCHEMA = schema(
    "store:str item_level:str antecedent_key:str antecedent_name:str consequent_key:str consequent_name:str "
    "rule_rank:int pair_baskets:int antecedent_baskets:int consequent_baskets:int support:float "
    "confidence:float lift:float"
)
METRICS_SCHEMA = schema(
    "store:str item_level:str method:str protocol:str k:int evaluated_customers:int hit_rate_at_k:float "
    "precision_at_k:float recall_at_k:float coverage:float catalogue_items:int hit_rate_vs_popularity:float "
    "is_serving_method:bool train_end_date:date test_end_date:date is_headline_protocol:bool is_baseline:bool "
    "best_baseline:str hit_rate_vs_best_baseline:float hit_rate_gain_lower_95:float hit_rate_gain_upper_95:float "
    "beats_best_baseline:bool verdict:str held_out_customers:int sampled_customers:int training_customers:int "
    "fitted_customers:int fit_max_customers:int training_items:int fitted_items:int fit_max_items:int"
)
RECOMMENDATIONS_SCHEMA = schema(
    "store:str customer_key:str recommendation_rank:int product_key:str item_level:str item_key:str "
    "item_name:str category_name:str score:float source:str basis_item_key:str reason:str"
)


def stores_of(lines: duckdb.DuckDBPyRelation) -> list[tuple[str, object]]:
    """(store, last ordered_at) of every store with a sale line, in store order."""
    return lines.query("lines", "select store, max(ordered_at) from lines group by all order by all").fetchall()


def product_associations(lines: duckdb.DuckDBPyRelation, products: duckdb.DuckDBPyRelation) -> pd.DataFrame:
    """ml.product_associations: the association rules of every store's baskets."""
    model = "product_associations"
    frames = []
    for store, _ in stores_of(lines):
        with timed_step(model, f"{store}: rules"):
            rules = _store_associations(lines, products, store)
        log_progress(model, f"{store}: {len(rules)} rules")
        frames.append(rules)
    return typed_table(frames, ASSOCIATIONS_SCHEMA)


def recommendation_metrics(
    lines: duckdb.DuckDBPyRelation,
    products: duckdb.DuckDBPyRelation,
    data_ends: pd.DataFrame,
    decisions: pd.DataFrame | None,
    seed: int,
    max_customers: int,
    fit_max_customers: int,
    fit_max_items: int,
    neural: bool,
) -> pd.DataFrame | None:
    """ml.recommendation_metrics' rows to write on this build (delete+insert by store): the
    evaluation split by date (evaluation.py) of every store whose recommender this build refits
    (ml_registry.recommendation_refit_decisions; every store when the table is built anew:
    decisions None), the held-out period ending at the store's data end
    (marts.store_data_ends), on a seeded hash sample of at most max_customers of the held-out
    customers, the models fitted on a seeded hash sample of at most fit_max_customers of the
    training customers, on at most fit_max_items of their most popular items; neural: the var
    ml_neural (item2vec evaluated). None when no store is refitted: the rows of the others stay
    those of their last fit. Each store's evaluation is measured as
    part of its recommender's fit step."""
    model = "recommendation_metrics"
    data_end = data_ends.set_index("store")["data_end_date"]
    refit = None if decisions is None else registry.refit_stores(decisions)
    frames = []
    for store, last_at in stores_of(lines):
        if refit is not None and store not in refit:
            log_progress(model, f"{store}: recommender scored, its evaluation rows kept")
            continue
        end = pd.Timestamp(data_end.get(store, last_at)).date()
        with (
            timed_step(model, f"{store}: evaluation split by date, held out to {end}"),
            measured_model(f"{model}[{store}, {registry.MODEL_NAME}]") as record,
        ):
            metrics = _store_metrics(
                lines, products, store, end, seed, max_customers, fit_max_customers, fit_max_items, neural
            )
        shared.add_score_record(registry.STEP_RECORDS, store, [registry.MODEL_NAME], record, step="fit")
        if metrics.empty:
            log_progress(model, f"{store}: no customer buys both sides of the cutoff, nothing to evaluate")
            continue
        for row in metrics[metrics["is_serving_method"]].itertuples():
            log_progress(
                model,
                f"{store} {row.item_level} {row.protocol}: {row.method} hit rate {row.hit_rate_at_k:.3f}, "
                f"{row.verdict} ({row.hit_rate_vs_best_baseline:+.3f}, 95% "
                f"[{row.hit_rate_gain_lower_95:+.3f}, {row.hit_rate_gain_upper_95:+.3f}])",
            )
        frames.append(metrics)
    if refit is not None and not refit:
        return None
    return typed_table(frames, METRICS_SCHEMA)


@contextmanager
def store_baskets(
    lines: duckdb.DuckDBPyRelation,
    products: duckdb.DuckDBPyRelation,
    *,
    neural,
    max_customers,
    fit_max_customers,
    fit_max_items,
    seed,
) -> Iterator[list[tuple[str, registry.RecommenderSettings, duckdb.DuckDBPyRelation]]]:
    """(store, settings, basket items at the store's item level, materialized) of every store
    with a sale line, in store order: what the registry's decisions and fit read. Use in a with
    statement (the temporary tables are dropped on exit)."""
    with ExitStack() as stack:
        stores = []
        for store, _ in stores_of(lines):
            settings = registry.store_settings(
                store,
                neural=neural_enabled(neural),
                max_customers=int(max_customers),
                fit_max_customers=int(fit_max_customers),
                fit_max_items=int(fit_max_items),
                seed=int(seed),
            )
            items = stack.enter_context(baskets.store_basket_items(lines, products, store, settings.item_level))
            stores.append((store, settings, items))
        yield stores


def recommendation_refit_decisions(
    lines: duckdb.DuckDBPyRelation,
    products: duckdb.DuckDBPyRelation,
    previous_registry: pd.DataFrame,
    *,
    neural: bool,
    max_customers: int,
    fit_max_customers: int,
    fit_max_items: int,
    seed: int,
    cadence_days: int,
    ratio_threshold: float,
    force: bool,
) -> pd.DataFrame:
    """ml_registry.recommendation_refit_decisions: refit or score each store's recommender
    (registry.decisions; previous_registry: ml_registry.recommendation_models as the previous
    build published it, empty on the first build)."""
    with store_baskets(
        lines,
        products,
        neural=neural,
        max_customers=max_customers,
        fit_max_customers=fit_max_customers,
        fit_max_items=fit_max_items,
        seed=seed,
    ) as stores:
        return registry.decisions(
            stores, previous_registry, cadence_days=cadence_days, ratio_threshold=ratio_threshold, force=force
        )


def recommendation_models(
    lines: duckdb.DuckDBPyRelation,
    products: duckdb.DuckDBPyRelation,
    decisions: pd.DataFrame,
    metrics: pd.DataFrame,
    previous_versions: dict[tuple[str, str], int],
    *,
    neural: bool,
    max_customers: int,
    fit_max_customers: int,
    fit_max_items: int,
    seed: int,
    refit_everything: bool,
) -> pd.DataFrame:
    """ml_registry.recommendation_models: the serving recommender of each store refitted on
    this build (registry.fit_registered; metrics: ml.recommendation_metrics)."""
    with store_baskets(
        lines,
        products,
        neural=neural,
        max_customers=max_customers,
        fit_max_customers=fit_max_customers,
        fit_max_items=fit_max_items,
        seed=seed,
    ) as stores:
        return registry.fit_registered(stores, decisions, metrics, previous_versions, refit_everything=refit_everything)


def product_recommendations(
    lines: duckdb.DuckDBPyRelation,
    products: duckdb.DuckDBPyRelation,
    customers: pd.DataFrame,
    registry_rows: pd.DataFrame,
) -> pd.DataFrame:
    """ml.product_recommendations: top items for every active customer (an order within
    ACTIVE_WITHIN_DAYS of the store's as-of date, marts.customer_features.recency_days) by the
    store's registered recommender (registry_rows: ml_registry.recommendation_models,
    registry.LATEST_MODELS), each store's scoring measured as the model's score step."""
    model = "product_recommendations"
    active = customers[customers["recency_days"] <= ACTIVE_WITHIN_DAYS]
    fitted = registry.registered_models(registry_rows, log=lambda message: log_progress(model, message))
    frames = []
    for store, _ in stores_of(lines):
        if store not in fitted:
            log_progress(model, f"{store}: no registered recommender, no recommendations")
            continue
        store_customers = active.loc[active["store"] == store, "customer_key"].to_numpy()
        with (
            timed_step(model, f"{store}: {len(store_customers)} active customers"),
            measured_model(f"{model}[{store}, {registry.MODEL_NAME}]") as record,
        ):
            frames.append(_store_recommendations(lines, products, fitted[store], store_customers, store))
        registry.STEP_RECORDS[(store, registry.MODEL_NAME, "score")] = record
        log_progress(model, f"{store}: {len(frames[-1])} recommendations")
    return typed_table(frames, RECOMMENDATIONS_SCHEMA)


def _store_rules(items: duckdb.DuckDBPyRelation, store: str) -> pd.DataFrame:
    """The association rules of the store's baskets (baskets.basket_items), by its settings."""
    settings = settings_for(store)
    return rules_from_counts(
        *baskets.rule_counts(items, store, settings.min_support, settings.min_pair_baskets),
        settings.max_consequents,
    )


def _store_associations(lines: duckdb.DuckDBPyRelation, products: duckdb.DuckDBPyRelation, store: str) -> pd.DataFrame:
    """ml.product_associations rows of one store (every sale basket, with or without a
    customer)."""
    settings = settings_for(store)
    with baskets.store_basket_items(lines, products, store, settings.item_level) as items:
        rules = _store_rules(items, store)
    names = item_names(products.df(), settings.item_level)
    rules.insert(0, "store", store)
    rules.insert(1, "item_level", settings.item_level)
    rules["antecedent_name"] = rules["antecedent_key"].map(names).fillna(rules["antecedent_key"])
    rules["consequent_name"] = rules["consequent_key"].map(names).fillna(rules["consequent_key"])
    rules["rule_rank"] = rules.groupby("antecedent_key").cumcount() + 1
    return rules


def _store_metrics(
    lines: duckdb.DuckDBPyRelation,
    products: duckdb.DuckDBPyRelation,
    store: str,
    data_end: dt.date,
    seed: int,
    max_customers: int,
    fit_max_customers: int,
    fit_max_items: int,
    neural: bool,
) -> pd.DataFrame:
    """ml.recommendation_metrics rows of one store: every evaluation level x method x
    protocol, trained up to data_end - holdout_days and scored on the days after, each
    compared with the best baseline of its protocol. The customers scored are a seeded hash
    sample of at most max_customers of those held out (held_out_customers, sampled_customers);
    the models learn from the training baskets of a seeded hash sample of at most
    fit_max_customers customers (training_customers, fitted_customers, fit_max_customers) on
    at most fit_max_items of their most popular items (training_items, fitted_items,
    fit_max_items)."""
    settings = settings_for(store)
    cutoff = data_end - dt.timedelta(days=settings.holdout_days)
    frames = []
    for level in settings.evaluation_levels:
        with baskets.store_basket_items(lines, products, store, level) as items:
            evaluation = evaluate_baskets(
                items,
                store,
                cutoff,
                data_end,
                RECOMMENDATIONS_PER_CUSTOMER,
                {
                    "min_support": settings.min_support,
                    "min_pair_baskets": settings.min_pair_baskets,
                    "max_consequents": settings.max_consequents,
                },
                settings.n_components,
                seed,
                max_customers,
                neural,
                fit_max_customers,
                fit_max_items,
            )
        log_progress(
            "recommendation_metrics",
            f"{store} {level}: {evaluation.sampled_customers} of {evaluation.held_out_customers} held-out customers "
            f"scored, fitted on {evaluation.fitted_customers} of {evaluation.training_customers} customers x "
            f"{evaluation.fitted_items} of {evaluation.training_items} items",
        )
        metrics = evaluation.metrics
        if metrics.empty:
            continue
        metrics = compare_with_baselines(metrics, evaluation.customer_hits, seed)
        metrics.insert(0, "store", store)
        metrics.insert(1, "item_level", level)
        metrics["is_serving_method"] = (metrics["method"] == settings.serving_method) & (level == settings.item_level)
        metrics["train_end_date"] = cutoff
        metrics["test_end_date"] = data_end
        metrics["is_headline_protocol"] = metrics["protocol"] == HEADLINE_PROTOCOL
        metrics["held_out_customers"] = evaluation.held_out_customers
        metrics["sampled_customers"] = evaluation.sampled_customers
        metrics["training_customers"] = evaluation.training_customers
        metrics["fitted_customers"] = evaluation.fitted_customers
        metrics["fit_max_customers"] = fit_max_customers
        metrics["training_items"] = evaluation.training_items
        metrics["fitted_items"] = evaluation.fitted_items
        metrics["fit_max_items"] = fit_max_items
        frames.append(metrics)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _store_recommendations(
    lines: duckdb.DuckDBPyRelation,
    products: duckdb.DuckDBPyRelation,
    fitted: FittedRecommender,
    active_customers: np.ndarray,
    store: str,
) -> pd.DataFrame:
    """ml.product_recommendations rows of one store: top RECOMMENDATIONS_PER_CUSTOMER new
    items per active customer by the store's registered recommender (its history as it is on
    this build), popularity filling the rest. At category level the row also names the
    category's best seller (most distinct customers) to show."""
    settings = settings_for(store)
    customers = np.sort(np.asarray(active_customers, dtype=object))
    frames = []
    with baskets.store_basket_items(lines, products, store, settings.item_level) as items:
        # SCORING_CHUNK_CUSTOMERS customers at a time (one empty chunk without any), each with
        # the counts of its key range read from DuckDB: memory follows the chunk, not the store.
        for start in range(0, max(len(customers), 1), SCORING_CHUNK_CUSTOMERS):
            chunk = customers[start : start + SCORING_CHUNK_CUSTOMERS]
            among = baskets.key_range(chunk[0], chunk[-1]) if len(chunk) else "false"
            counts = baskets.customer_item_counts(items, store, customers=among)
            with single_threaded():
                frames.append(recommend(fitted, counts, chunk, RECOMMENDATIONS_PER_CUSTOMER))
    table = pd.concat(frames, ignore_index=True)
    product_table = products.df()
    names = item_names(product_table, settings.item_level)
    table["item_name"] = table["item_key"].map(names).fillna(table["item_key"])
    basis_names = table["basis_item_key"].map(names).fillna(table["basis_item_key"])
    table["reason"] = np.where(
        table["source"] == "popularity",
        "popular: bought by many customers, not yet by you",
        np.where(
            basis_names.notna(),
            "customers whose purchases resemble yours bought it; closest to " + basis_names.fillna(""),
            "customers whose purchases resemble yours bought it",
        ),
    )
    if settings.item_level == "product":
        table["product_key"] = table["item_key"]
        table["category_name"] = table["item_key"].map(product_table.set_index("product_key")["category_name_english"])
    else:
        table["category_name"] = table["item_key"]
        table["product_key"] = table["item_key"].map(baskets.category_best_sellers(lines, products, store))
    table.insert(0, "store", store)
    table.insert(1, "item_level", settings.item_level)
    return table
