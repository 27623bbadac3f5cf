"""The tables of python_models/customer_value/, one function per dbt model: each loops over
the stores present, logs progress, and degrades to fewer (or empty) rows for a store whose
history is too short to label or validate, saying why. Models are fitted on one BLAS thread
(common.single_threaded): the same input gives the same scores on every build."""

from __future__ import annotations

import dataclasses
import functools
from typing import NamedTuple

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import (
    SCORING_STATE_COLUMNS,
    as_of_scoring_date,
    log_progress,
    measured_model,
    per_store,
    schema,
    single_threaded,
    timed_step,
    typed_table,
)
from retail_warehouse.ml.customer_value import churn, next_order, spend
from retail_warehouse.ml.customer_value import registry as cv_registry
from retail_warehouse.ml.customer_value.history import (
    OrderHistory,
    RelationHistory,
    as_history,
    sql_text,
)
from retail_warehouse.ml.customer_value.labels import (
    FEATURES,
    SNAPSHOT_FEATURES,
    OutOfTimeSplit,
    attach_recent_activity,
    day_after,
    out_of_time_split,
)
from retail_warehouse.ml.customer_value.metrics import (
    calibration_bins,
    classification_metrics,
    interval_coverage,
    paired_rmse_difference,
    regression_metrics,
)

# The columns of marts.fct_orders the tables read (labels.sale_orders keeps the sale orders),
# projected in DuckDB: the whole mart as pandas would cost ~10x the memory.
ORDER_COLUMNS = "store, order_type, is_cancelled, customer_key, order_date, net_revenue_amount"
# labels.sale_orders' rule as a DuckDB filter, a superset of it (a null is_cancelled is kept here
# and decided by sale_orders in pandas), so the pandas result is the same with fewer rows read.
# The days of orders before the scoring day a scoring model reads: the longest window of
# labels.recent_activity_features (orders and revenue in the last 90 days).
SCORING_ORDER_WINDOW_DAYS = 90
SALE_ORDER_FILTER = "order_type = 'sale' and is_cancelled is distinct from true and customer_key is not null"
# The columns of marts.customer_features and of its snapshots the tables read.
CUSTOMER_COLUMNS = ", ".join(("store", "customer_key", "customer_id", "as_of_date", *SNAPSHOT_FEATURES))
# The columns of ml.customer_value_examples and of ml.churn_model_metrics the later models read.
EXAMPLE_COLUMNS = ", ".join(
    ("store", "customer_key", "as_of_date", "split", "horizon_days", "target_name", *FEATURES)
    + ("spend_next", "purchased_again", "is_positive")
)
# The columns of ml.customer_value_examples that say a store's cutoffs and split (tiny once distinct).
SPLIT_COLUMNS = "store, as_of_date, split, horizon_days, target_name"
# The columns sampled_example_relation needs to draw the sample whose split (SPLIT_COLUMNS) a model reads.
SAMPLED_SPLIT_COLUMNS = f"customer_key, {SPLIT_COLUMNS}"
BEST_MODEL_COLUMNS = "store, model_name, target_name, horizon_days, threshold, flagged_share, is_best"
# The columns of ml.churn_validation_predictions churn_model_metrics reads.
PREDICTION_COLUMNS = (
    "store, model_name, customer_key, target_name, horizon_days, is_positive, probability, threshold, "
    "selection_cutoff, selection_roc_auc, selection_pr_auc, selection_roc_auc_gain_lower, selection_flagged_share"
)
# The scoring models read each customer's state on the day after the data end (common.as_of_scoring_date).
SCORING_COLUMNS = ", ".join((CUSTOMER_COLUMNS, *SCORING_STATE_COLUMNS))
# marts.store_data_ends: each store's last complete day, the one "today" of every model.
DATA_END_COLUMNS = "store, data_end_date"


def sale_order_relation(fct_orders, data_ends=None, *, window_days: int | None = None):
    """marts.fct_orders (a DuckDB relation) as the models read it: the sale orders
    (SALE_ORDER_FILTER) with ORDER_COLUMNS, filtered and projected in DuckDB before pandas.
    With data_ends (marts.store_data_ends) and window_days: only the orders dated in the
    window_days days before each store's scoring day (the day after its data end), all that
    labels.recent_activity_features reads at that day (window_days >= its 90), so a model
    scoring today's customers reads days x customers, not the whole history."""
    orders = fct_orders.filter(SALE_ORDER_FILTER).project(ORDER_COLUMNS)
    if window_days is None:
        return orders
    ends = data_ends.project("store as data_end_store, data_end_date")
    return (
        orders.join(ends, "store = data_end_store")
        .filter(f"order_date <= data_end_date and order_date > data_end_date - {int(window_days)}")
        .project(ORDER_COLUMNS)
    )


# The labelled examples the Python models read are a seeded hash sample of customers drawn in
# DuckDB (sampled_example_relation): per store, the customers ranked by md5 of the seed and
# their key, so whether a customer is sampled depends on that key alone (one new customer
# takes the place of at most one). Validation rows (one per customer at the validation
# cutoff) and fitting rows (training and refit_only: customers x cutoffs) are ranked apart.
SAMPLED_EXAMPLES_SQL = """
with examples as (
    select {columns}, split = 'validation' as is_validation from examples_table
),

customers as (
    select distinct store, customer_key, is_validation from examples
),

ranked as (
    select
        store,
        customer_key,
        is_validation,
        row_number() over (
            partition by store, is_validation
            order by md5_number({seed} || ':' || customer_key), customer_key
        ) as sample_rank
    from customers
),

sampled as (
    select store, customer_key, is_validation
    from ranked
    where sample_rank <= case when is_validation then {max_evaluation} else {max_fit} end
),

final as (
    select examples.* exclude (is_validation)
    from examples
    semi join sampled
        on
            examples.store = sampled.store
            and examples.customer_key = sampled.customer_key
            and examples.is_validation = sampled.is_validation
)

select * from final
"""


def sampled_example_relation(
    examples, *, seed: int, max_fit_customers: int, max_evaluation_customers: int, columns: str = EXAMPLE_COLUMNS
):
    """ml.customer_value_examples (a DuckDB relation) as the Python models read it, sampled and
    projected in DuckDB before pandas: per store, every training and refit_only row of a
    seeded hash sample of at most max_fit_customers customers (var
    customer_value_max_fit_customers; the fits then take at most max_training_rows of them,
    labels.seeded_sample) and the validation rows of at most max_evaluation_customers
    customers (var ml_evaluation_max_customers). Memory follows these caps, not the customers
    x cutoffs of the table; example_counts counts the whole table."""
    sql = SAMPLED_EXAMPLES_SQL.format(
        columns=columns,
        seed=sql_text(int(seed)),
        max_fit=int(max_fit_customers),
        max_evaluation=int(max_evaluation_customers),
    )
    return examples.query("examples_table", sql)


EXAMPLE_COUNTS_SQL = """
with examples as (
    select store, split from examples_table
),

final as (
    select
        store,
        count(*) filter (where split = 'training') as training_row_count,
        count(*) filter (where split = 'validation') as validation_customer_count
    from examples
    group by store
)

select * from final
"""


def example_counts(examples) -> pd.DataFrame:
    """Per store, counted in DuckDB on the whole ml.customer_value_examples (a relation), before
    any sample: training rows and validation customers (one row each at the validation cutoff)."""
    counts = examples.query("examples_table", EXAMPLE_COUNTS_SQL).df()
    return counts.sort_values("store", kind="mergesort").reset_index(drop=True)


def _counts_of(examples: pd.DataFrame) -> pd.DataFrame:
    """example_counts of a pandas examples table (as read, unsampled)."""
    return (
        examples.assign(
            training_row_count=examples["split"].eq("training"),
            validation_customer_count=examples["split"].eq("validation"),
        )
        .groupby("store", sort=True)[["training_row_count", "validation_customer_count"]]
        .sum()
        .reset_index()
    )


def _store_count(counts: pd.DataFrame, store: str, column: str):
    values = counts.loc[counts["store"] == store, column]
    return int(values.iloc[0]) if not values.empty else 0


# customer_value_metrics evaluates the 12-month value at one snapshot per store (_clv_rows): the
# latest whose CLV_DAYS window closes by the day after the store's data end. Read in DuckDB, only
# that snapshot's rows reach pandas, not every customer at every monthly snapshot.
CLV_SNAPSHOT_SQL = f"""
with eligible as (
    select {CUSTOMER_COLUMNS} from eligible_snapshots
),

final as (
    select *
    from eligible
    qualify as_of_date = max(as_of_date) over (partition by store)
)

select * from final
"""


def clv_snapshot_relation(snapshots, data_ends):
    """marts.customer_feature_snapshots (a relation) as customer_value_metrics reads it: per store
    the rows of the one snapshot _clv_rows evaluates the 12-month value at (the latest with a
    full CLV_DAYS window before the day after the data end, data_ends: marts.store_data_ends),
    with CUSTOMER_COLUMNS, filtered in DuckDB before pandas."""
    ends = data_ends.project("store as data_end_store, data_end_date")
    eligible = snapshots.join(ends, "store = data_end_store").filter(
        f"as_of_date + {int(spend.CLV_DAYS)} <= data_end_date + 1"
    )
    return eligible.query("eligible_snapshots", CLV_SNAPSHOT_SQL)


def order_history(fct_orders) -> RelationHistory:
    """The order history of marts.fct_orders (a DuckDB relation) the models read: one row per
    customer at a cutoff, aggregated in DuckDB from sale_order_relation (history.RelationHistory)."""
    return RelationHistory(sale_order_relation(fct_orders))


def duckdb_summaries(sale_orders):
    """summary_of(store, cutoff) -> the store's btyd.rfm_summary at the cutoff computed in DuckDB
    from sale_order_relation (history.RelationHistory.summary), in pandas."""
    return RelationHistory(sale_orders).summary


def orders_summaries(fct_orders: pd.DataFrame):
    """summary_of(store, cutoff) -> btyd.rfm_summary of the store's sale orders (pandas)."""
    return OrderHistory(fct_orders).summary


def _stores(*frames: pd.DataFrame) -> list[str]:
    return sorted(set().union(*(set(frame["store"].dropna().unique()) for frame in frames)))


def _data_end(data_ends: pd.DataFrame, store: str) -> pd.Timestamp:
    """The store's data end (marts.store_data_ends.data_end_date)."""
    ends = data_ends.loc[data_ends["store"] == store, "data_end_date"]
    if ends.empty:
        raise KeyError(f"marts.store_data_ends has no data_end_date for store {store!r}")
    return pd.Timestamp(ends.iloc[0])


def _prepared_examples(examples: pd.DataFrame) -> pd.DataFrame:
    """The examples table as read back from the warehouse, in a stable order."""
    frame = examples.copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    if "purchased_again" in frame.columns:
        frame["purchased_again"] = frame["purchased_again"].astype(bool)
    order = [column for column in ("store", "as_of_date", "customer_key") if column in frame.columns]
    return frame.sort_values(order, kind="mergesort").reset_index(drop=True)


def _store_split(store_examples: pd.DataFrame):
    horizon = int(store_examples["horizon_days"].iloc[0])
    training = tuple(sorted(store_examples.loc[store_examples["split"] == "training", "as_of_date"].unique()))
    validation = store_examples.loc[store_examples["split"] == "validation", "as_of_date"]
    split = out_of_time_split([*training, *validation.unique()], horizon)
    return horizon, store_examples["target_name"].iloc[0], split


class ValidationStore(NamedTuple):
    """One store's labelled examples, horizon and out-of-time split."""

    store: str
    examples: pd.DataFrame
    horizon: int
    split: OutOfTimeSplit


def _validation_stores(examples: pd.DataFrame):
    """The stores of the examples table (as read back, _prepared_examples) that have a
    validation cutoff, in store order, each with its split."""
    for store, store_examples in examples.groupby("store", sort=True):
        horizon, _, split = _store_split(store_examples)
        if split.validation is not None:
            yield ValidationStore(store, store_examples, horizon, split)


# --- ml.churn_validation_predictions -------------------------------------------------------


@single_threaded()
def churn_validation_predictions(examples: pd.DataFrame, seed: int, max_rows: int) -> pd.DataFrame:
    """The probabilities of every classifier on the validation rows of each store, with the
    threshold each chose before validation and its scores at the selection (tuning) cutoff,
    where churn_model_metrics chooses the served model: ROC-AUC, PR-AUC and the lower bound
    of the paired-bootstrap 95% interval of its ROC-AUC gain over the recency baseline."""
    model = "churn_validation_predictions"
    examples = _prepared_examples(examples)
    frames = []
    for store, store_examples in examples.groupby("store", sort=True):
        horizon, target, split = _store_split(store_examples)
        if not split.is_usable:
            log_progress(model, f"{store}: no training cutoff before the validation cutoff: not validated")
            continue
        validation = store_examples[store_examples["as_of_date"] == split.validation]
        tuning_labels = churn.positive_labels(churn.tuning_rows_of(store_examples, split), target)
        runs = {}
        for name in churn.CLASSIFIERS:
            with timed_step(model, f"{store}: {name}"):
                runs[name] = churn.validate_classifier(name, store_examples, split, target, seed, max_rows)
        baseline = runs[churn.BASELINE]
        for name, run in runs.items():
            if run.probabilities is None:
                log_progress(model, f"{store}: {name} not fitted: the training rows hold one class")
                continue
            selection = classification_metrics(tuning_labels, run.tuning_probabilities, run.threshold)
            gain_lower = (
                churn.paired_auc_gain(tuning_labels, run.tuning_probabilities, baseline.tuning_probabilities, seed)[1]
                if baseline.tuning_probabilities is not None and name != churn.BASELINE
                else None
            )
            frames.append(
                pd.DataFrame(
                    {
                        "store": store,
                        "model_name": name,
                        "customer_key": validation["customer_key"].to_numpy(),
                        "as_of_date": validation["as_of_date"].dt.date.to_numpy(),
                        "target_name": target,
                        "horizon_days": horizon,
                        "is_positive": validation["is_positive"].to_numpy(dtype=bool),
                        "probability": run.probabilities,
                        "threshold": run.threshold,
                        "selection_cutoff": (split.tuning or split.training[-1]).date(),
                        "selection_roc_auc": selection["roc_auc"],
                        "selection_pr_auc": selection["pr_auc"],
                        "selection_roc_auc_gain_lower": gain_lower,
                        "selection_flagged_share": float(np.mean(run.tuning_probabilities >= run.threshold)),
                    }
                )
            )
    return typed_table(
        frames,
        schema(
            "store:str model_name:str customer_key:str as_of_date:date target_name:str horizon_days:int "
            "is_positive:bool probability:float threshold:float selection_cutoff:date selection_roc_auc:float "
            "selection_pr_auc:float selection_roc_auc_gain_lower:float selection_flagged_share:float"
        ),
    )


# --- ml.churn_model_metrics and ml.churn_calibration ---------------------------------------


def churn_model_metrics(
    predictions: pd.DataFrame, examples: pd.DataFrame, max_rows: int, seed: int, counts: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per store and classifier: the out-of-time scores at the validation cutoff, and the
    ROC-AUC gain over the recency baseline with its paired-bootstrap 95% interval
    (beats_baseline: the interval is above 0). is_best, the model churn_scores serves, is
    chosen at the earlier selection cutoff, never at the validation cutoff it is reported on:
    the highest selection PR-AUC (then ROC-AUC) among the models whose selection ROC-AUC gain
    over recency has its interval above 0; the recency baseline itself when none has.
    examples: as the models read them (a sample of customers in dbt, sampled_example_relation);
    counts: example_counts of the whole table (by default counted on examples), so
    training_row_count and validation_customer_count are before the sample and
    evaluated_customer_count (= row_count) is the customers scored."""
    examples = _prepared_examples(examples)
    counts = _counts_of(examples) if counts is None else counts
    rows = []
    for (store, name), group in predictions.groupby(["store", "model_name"], sort=True):
        baseline = predictions[(predictions["store"] == store) & (predictions["model_name"] == churn.BASELINE)]
        paired = group.merge(
            baseline[["customer_key", "probability"]], on="customer_key", suffixes=("", "_baseline"), validate="1:1"
        )
        gain, gain_lower, gain_upper = (
            churn.paired_auc_gain(paired["is_positive"], paired["probability"], paired["probability_baseline"], seed)
            if name != churn.BASELINE and len(paired)
            else (None, None, None)
        )
        store_examples = examples[examples["store"] == store]
        _, _, split = _store_split(store_examples)
        training_rows = int((store_examples["split"] == "training").sum())
        rows.append(
            {
                "store": store,
                "model_name": name,
                "target_name": group["target_name"].iloc[0],
                "horizon_days": int(group["horizon_days"].iloc[0]),
                "is_baseline": name == churn.BASELINE,
                "training_cutoff_first": min(split.training).date(),
                "training_cutoff_last": max(split.training).date(),
                "training_cutoff_count": len(split.training),
                "threshold_tuning_cutoff": split.tuning.date() if split.tuning is not None else None,
                "validation_cutoff": split.validation.date(),
                "training_row_count": _store_count(counts, store, "training_row_count"),
                "fitted_row_count": min(training_rows, churn.fitted_row_cap(name, max_rows)),
                "validation_customer_count": _store_count(counts, store, "validation_customer_count"),
                "evaluated_customer_count": len(group),
                **classification_metrics(group["is_positive"], group["probability"], group["threshold"].iloc[0]),
                "flagged_share": group["selection_flagged_share"].iloc[0],
                "selection_cutoff": group["selection_cutoff"].iloc[0],
                "selection_roc_auc": group["selection_roc_auc"].iloc[0],
                "selection_pr_auc": group["selection_pr_auc"].iloc[0],
                "selection_roc_auc_gain_lower": group["selection_roc_auc_gain_lower"].iloc[0],
                "roc_auc_gain_vs_baseline": gain,
                "roc_auc_gain_ci_lower": gain_lower,
                "roc_auc_gain_ci_upper": gain_upper,
                "beats_baseline": None if gain_lower is None else bool(gain_lower > 0),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return typed_table([], CHURN_METRICS_SCHEMA)
    table["is_best"] = False
    table["served_reason"] = None
    for _store, group in table.groupby("store"):
        best, reason = _served_model(group)
        table.loc[best, "is_best"] = True
        table.loc[group.index, "served_reason"] = reason
        baseline = group[group["is_baseline"]]
        if not baseline.empty:
            for metric in ("roc_auc", "pr_auc"):
                table.loc[group.index, f"{metric}_lift_vs_baseline"] = group[metric] - baseline[metric].iloc[0]
    return typed_table([table], CHURN_METRICS_SCHEMA)


CHURN_METRICS_SCHEMA = schema(
    "store:str model_name:str target_name:str horizon_days:int is_baseline:bool is_best:bool "
    "training_cutoff_first:date training_cutoff_last:date training_cutoff_count:int "
    "threshold_tuning_cutoff:date validation_cutoff:date training_row_count:int fitted_row_count:int "
    "row_count:int positive_rate:float roc_auc:float pr_auc:float threshold:float precision:float "
    "recall:float f1:float brier_score:float roc_auc_lift_vs_baseline:float pr_auc_lift_vs_baseline:float "
    "flagged_share:float selection_cutoff:date selection_roc_auc:float selection_pr_auc:float "
    "selection_roc_auc_gain_lower:float roc_auc_gain_vs_baseline:float roc_auc_gain_ci_lower:float "
    "roc_auc_gain_ci_upper:float beats_baseline:bool served_reason:str validation_customer_count:int "
    "evaluated_customer_count:int"
)


def _served_model(group: pd.DataFrame):
    """The index of the store's served model and why (churn_model_metrics docstring): the
    candidate is ranked at the selection cutoff; it is served only if its gain over the
    recency baseline also holds at validation (a gate that can only fall back to the
    baseline, never pick another model on the reported cutoff)."""
    baseline = group[group["is_baseline"]]
    fallback = baseline.index[0] if not baseline.empty else group.index[0]
    beating = group[~group["is_baseline"] & (group["selection_roc_auc_gain_lower"].astype("Float64").fillna(-1.0) > 0)]
    if beating.empty:
        return fallback, (
            f"No model beats {churn.BASELINE} at the selection cutoff (paired-bootstrap 95% interval of the "
            f"ROC-AUC gain above 0): {group.loc[fallback, 'model_name']} is served."
        )
    ranked = beating.sort_values(
        ["selection_pr_auc", "selection_roc_auc", "model_name"],
        ascending=[False, False, True],
        na_position="last",
        kind="mergesort",
    )
    candidate = ranked.iloc[0]
    chosen = (
        f"{candidate['model_name']} has the highest PR-AUC at the selection cutoff "
        f"{pd.Timestamp(candidate['selection_cutoff']).date()} among the models whose ROC-AUC gain over "
        f"{churn.BASELINE} there has a paired-bootstrap 95% interval above 0"
    )
    interval = (
        f"{_fmt_gain(candidate['roc_auc_gain_vs_baseline'])} [{_fmt_gain(candidate['roc_auc_gain_ci_lower'])}, "
        f"{_fmt_gain(candidate['roc_auc_gain_ci_upper'])}]"
    )
    if pd.notna(candidate["beats_baseline"]) and bool(candidate["beats_baseline"]):
        return ranked.index[0], f"{chosen}, and its gain holds at validation ({interval}): it is served."
    return fallback, (
        f"{chosen}, but at validation its gain {interval} does not exclude 0: no model beats "
        f"{churn.BASELINE}, which is served."
    )


def _fmt_gain(value) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{float(value):+.4f}"


def churn_calibration(predictions: pd.DataFrame) -> pd.DataFrame:
    frames = []
    for (store, name), group in predictions.groupby(["store", "model_name"], sort=True):
        bins = calibration_bins(group["is_positive"], group["probability"])
        bins.insert(0, "model_name", name)
        bins.insert(0, "store", store)
        frames.append(bins)
    return typed_table(
        frames,
        schema(
            "store:str model_name:str bin_index:int bin_lower:float bin_upper:float row_count:int "
            "mean_predicted_probability:float observed_positive_rate:float"
        ),
    )


# --- ml.churn_feature_importance -----------------------------------------------------------


def _best_models(metrics: pd.DataFrame) -> dict[str, pd.Series]:
    if metrics.empty:
        return {}
    return {row["store"]: row for _, row in metrics[metrics["is_best"]].iterrows()}


@single_threaded()
def churn_feature_importance(examples: pd.DataFrame, metrics: pd.DataFrame, seed: int, max_rows: int) -> pd.DataFrame:
    """Permutation importance of each store's best classifier, fitted on the training
    cutoffs as in validation, measured on the validation rows."""
    model = "churn_feature_importance"
    examples = _prepared_examples(examples)
    frames = []
    for store, best in sorted(_best_models(metrics).items()):
        store_examples = examples[examples["store"] == store]
        target = best["target_name"]
        with timed_step(model, f"{store}: permutation importance of {best['model_name']}"):
            estimator = churn.fit_classifier(
                best["model_name"], store_examples[store_examples["split"] == "training"], target, seed, max_rows
            )
            table = churn.feature_importance(
                estimator, store_examples[store_examples["split"] == "validation"], target, seed
            )
        table.insert(0, "model_name", best["model_name"])
        table.insert(0, "store", store)
        frames.append(table)
    return typed_table(
        frames,
        schema(
            "store:str model_name:str feature_name:str importance_mean:float importance_std:float "
            "importance_rank:int evaluated_row_count:int"
        ),
    )


def _with_recent_activity(customers: pd.DataFrame, history, store: str) -> pd.DataFrame:
    """labels.attach_features with the store's recent activity read from the order history."""
    return attach_recent_activity(customers, lambda cutoffs: history.recent_activity(store, cutoffs))


def _scoring_customers(customer_features: pd.DataFrame, history, data_ends, store: str):
    """The store's customers as they stood on its scoring day, the day after its data end
    (customer_features' scoring_ columns, common.as_of_scoring_date; recent-activity features
    attached from the order history, history.OrderHistory or RelationHistory), and that day. A
    customer with a sale order after the data end has no state as of it: is_scorable false, kept
    with unscored_reason saying why."""
    customers = as_of_scoring_date(customer_features[customer_features["store"] == store])
    return _with_recent_activity(customers, history, store), day_after(_data_end(data_ends, store))


# --- ml.churn_scores -----------------------------------------------------------------------


@single_threaded()
def churn_scores(
    customer_features: pd.DataFrame,
    fct_orders: pd.DataFrame,
    examples: pd.DataFrame,
    metrics: pd.DataFrame,
    data_ends: pd.DataFrame,
    campaign_capacity,
    seed: int,
    max_rows: int,
    registered: dict | None = None,
) -> pd.DataFrame:
    """Every current customer once, scored as of the day after the store's data end by the
    store's best classifier refitted on every labelled cutoff (with `registered`, the models
    of ml_registry.customer_value_models: customer_value.registry.loaded, the classifier is the
    registered one, fitted on its schedule). Flags: the top flagged_share of
    the scored customers by probability, flagged_share being the share the threshold tuned
    before validation flagged on the rows it was tuned on (the selection cutoff: a probability
    threshold tuned on one model does not carry over to the refitted one; a rank share does),
    at most the campaign capacity (var churn_campaign_capacity, per store: a share or a count
    of customers; common.per_store); threshold is the refitted model's probability at that
    rank. A store without a validated model, and a customer with a sale order after the data
    end, keep their rows, unscored."""
    model = "churn_scores"
    examples = _prepared_examples(examples)
    best_models = _best_models(metrics)
    history = as_history(fct_orders)
    frames = []
    for store in sorted(customer_features["store"].unique()):
        current, _ = _scoring_customers(customer_features, history, data_ends, store)
        scorable = current["is_scorable"].to_numpy(dtype=bool)
        frame = current[["customer_key", "customer_id", "as_of_date", "unscored_reason"]].copy()
        frame.insert(0, "store", store)
        best = best_models.get(store)
        estimator = None
        if best is not None and registered is not None:
            estimator = _registered_estimator(registered, store, cv_registry.CHURN, best["model_name"])
        elif best is not None:
            with timed_step(model, f"{store}: refit {best['model_name']} on every labelled cutoff, score"):
                estimator = churn.fit_classifier(
                    best["model_name"], examples[examples["store"] == store], best["target_name"], seed, max_rows
                )
        if (~scorable).any():
            log_progress(model, f"{store}: {(~scorable).sum()} customers with orders after the data end: unscored")
        frame = frame.assign(
            model_name=None,
            target_name=None,
            horizon_days=None,
            threshold=np.nan,
            positive_class_probability=np.nan,
            churn_probability=np.nan,
            is_flagged=None,
            risk_band="unscored",
            top_drivers=None,
            flag_rule=None,
        )
        if estimator is None:
            log_progress(model, f"{store}: no validated classifier: {len(frame)} customers left unscored")
            frame["unscored_reason"] = frame["unscored_reason"].fillna("no validated classifier for the store")
        elif scorable.any():
            scored = current[scorable]
            with measured_model(f"churn_scores[{store}]") as record:
                probability = churn.positive_probability(estimator, scored)
            churn_probability = churn.churn_probability(probability, best["target_name"])
            reference = examples.loc[examples["store"] == store, list(FEATURES)].median()
            share, flag_rule = _flag_share(
                best, per_store(campaign_capacity, store, "churn_campaign_capacity"), len(scored)
            )
            flagged, threshold = churn.flag_top_share(probability, scored["customer_key"], share)
            frame.loc[scorable, "model_name"] = best["model_name"]
            frame.loc[scorable, "target_name"] = best["target_name"]
            frame.loc[scorable, "horizon_days"] = int(best["horizon_days"])
            frame.loc[scorable, "threshold"] = threshold
            frame.loc[scorable, "positive_class_probability"] = probability
            frame.loc[scorable, "churn_probability"] = churn_probability
            frame.loc[scorable, "is_flagged"] = flagged
            frame.loc[scorable, "risk_band"] = churn.risk_band(churn_probability)
            with measured_model(f"churn_scores[{store}]: top drivers") as drivers_record:
                frame.loc[scorable, "top_drivers"] = churn.top_drivers(estimator, scored, reference)
            frame.loc[scorable, "flag_rule"] = flag_rule
            if registered is not None:
                cv_registry.add_score_record(store, [cv_registry.CHURN], record)
                cv_registry.add_score_record(store, [cv_registry.CHURN], drivers_record)
        frames.append(frame)
    return typed_table(
        frames,
        schema(
            "store:str customer_key:str customer_id:str as_of_date:date model_name:str target_name:str "
            "horizon_days:int threshold:float positive_class_probability:float churn_probability:float "
            "is_flagged:bool risk_band:str top_drivers:str flag_rule:str unscored_reason:str"
        ),
    )


def _flag_share(best: pd.Series, capacity, scored_count: int) -> tuple[float, str]:
    """The share of the scored customers flagged and the rule stated: the share the F1-best
    threshold flagged at its selection cutoff, capped by the campaign capacity."""
    tuned_share = float(best["flagged_share"])
    tuned = (
        f"the share the F1-best threshold ({float(best['threshold']):.3g}) flagged at the selection cutoff it "
        f"was tuned on ({tuned_share:.1%})"
    )
    capacity_share = churn.campaign_share(capacity, scored_count)
    if capacity_share is not None and capacity_share < tuned_share:
        return capacity_share, (
            f"top {capacity_share:.1%} by {best['target_name']} probability: the campaign capacity (var "
            f"churn_campaign_capacity = {capacity}), below {tuned}"
        )
    within = "" if capacity_share is None else f", within the campaign capacity ({capacity_share:.1%})"
    return tuned_share, f"top {tuned_share:.1%} by {best['target_name']} probability: {tuned}{within}"


# --- ml.customer_value_metrics -------------------------------------------------------------


def _regression_row(store, target_name, horizon, name, split_info, actual, predicted):
    return {
        "store": store,
        "target_name": target_name,
        "horizon_days": horizon,
        "model_name": name,
        "is_baseline": name in spend.BASELINES,
        **split_info,
        **regression_metrics(actual, predicted),
    }


def _probabilistic_rows(
    store, target_name, days, split_info, history, cutoff, customers, actual, predictions: dict, seed, model
):
    """The BG/NBD and MBG/NBD (+ Gamma-Gamma) rows of one target: errors, why a fit is not to
    be shown, and the out-of-time coverage of their 80% / 95% value intervals; their
    predictions are added to `predictions`. The fits read the customers' summary at the cutoff
    from the order history."""
    rows = []
    with timed_step(model, f"{store}: BG/NBD, MBG/NBD, Gamma-Gamma on the orders before {cutoff.date()}"):
        models = spend.fit_summary_models(history.summary(store, cutoff))
    for name, fitted in models.items():
        keys = customers["customer_key"]
        predictions[name] = spend.probabilistic_value(fitted, keys, days)
        row = _regression_row(store, target_name, days, name, split_info, actual, predictions[name])
        row["fit_problem"] = spend.fit_problem(fitted)
        with timed_step(model, f"{store}: {name} parametric bootstrap of the {days}-day value"):
            intervals, store_total = spend.probabilistic_intervals(fitted, keys, days, seed)
        row["store_total_actual"] = float(np.sum(actual))
        row["store_total_predicted"] = row["mean_predicted"] * len(actual) if len(actual) else None
        if intervals is not None:
            for level in (0.80, 0.95):
                suffix = f"{round(level * 100)}"
                row[f"coverage_{suffix}"] = interval_coverage(actual, *intervals[level])
                row[f"store_total_lower_{suffix}"], row[f"store_total_upper_{suffix}"] = store_total[level]
        rows.append(row)
    return rows


def _compare_with_best_baseline(rows: list[dict], predictions: dict, actual, best_baseline, selection_cutoff, seed):
    """Marks one target's rows against the best baseline (chosen on an earlier cutoff): the RMSE
    difference with its 95% paired-bootstrap interval, beats_best_baseline when the interval
    lies below 0, and is_best on the model served: the lowest RMSE among the models that beat
    the best baseline, else the best baseline itself."""
    reference = predictions[best_baseline]
    for row in rows:
        name = row["model_name"]
        comparison = paired_rmse_difference(actual, predictions[name], reference, seed)
        row["best_baseline_name"] = best_baseline
        row["baseline_selection_cutoff"] = selection_cutoff.date() if selection_cutoff is not None else None
        row["rmse_diff_vs_best_baseline"] = comparison["difference"]
        row["rmse_diff_lower_95"] = comparison["lower"]
        row["rmse_diff_upper_95"] = comparison["upper"]
        row["beats_best_baseline"] = (
            name != best_baseline and comparison["upper"] is not None and comparison["upper"] < 0
        )
    best_rmse = next(row["rmse"] for row in rows if row["model_name"] == best_baseline)
    winners = sorted(
        (row for row in rows if row["beats_best_baseline"]), key=lambda row: (row["rmse"], row["model_name"])
    )
    served = winners[0]["model_name"] if winners else best_baseline
    lowest = min(rows, key=lambda row: (row["rmse"], row["model_name"]))["model_name"]
    for row in rows:
        row["rmse_vs_baseline"] = row["rmse"] / best_rmse if best_rmse else None
        row["is_best"] = row["model_name"] == served
        row["is_lowest_rmse"] = row["model_name"] == lowest
        row["verdict"] = (
            f"{served} beats {best_baseline} (95% interval of the RMSE difference below 0): served"
            if winners
            else f"no model beats {best_baseline}: its prediction is served"
        )
    return rows


@single_threaded()
def customer_value_metrics(
    examples: pd.DataFrame,
    snapshots: pd.DataFrame,
    fct_orders: pd.DataFrame | RelationHistory,
    data_ends: pd.DataFrame,
    seed: int,
    max_rows: int,
    neural: bool = True,
    counts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Out of time, per store: spend in the next H days (regressions, the PyTorch regressor
    unless neural is false (var ml_neural), BG/NBD and MBG/NBD + Gamma-Gamma, three baselines),
    and value in the next 365 days where a full 365-day window
    exists after the latest possible cutoff (probabilistic models and baselines only: no earlier
    cutoff has a closed 365-day window to train a regression on). Every model is compared with
    the best baseline, chosen on an earlier cutoff, by a seeded paired bootstrap. examples: as
    the models read them (a sample of customers in dbt); counts: example_counts of the whole
    table (churn_model_metrics), so training_row_count and validation_customer_count are
    before the sample, fitted_row_count and evaluated_customer_count (= row_count) after it.
    fct_orders: a marts.fct_orders-like frame, or the order history read per customer
    (order_history: computed in DuckDB)."""
    model = "customer_value_metrics"
    examples = _prepared_examples(examples)
    counts = _counts_of(examples) if counts is None else counts
    history = as_history(fct_orders)
    rows = []
    for validated in _validation_stores(examples):
        store, store_examples, horizon, split = validated
        if not split.is_usable:
            log_progress(model, f"{store}: no training cutoff before the validation cutoff: spend not validated")
            continue
        training = store_examples[store_examples["split"] == "training"]
        validation = store_examples[store_examples["split"] == "validation"]
        split_info = {
            "training_cutoff_count": len(split.training),
            "validation_cutoff": split.validation.date(),
            "training_row_count": _store_count(counts, store, "training_row_count"),
            "validation_customer_count": _store_count(counts, store, "validation_customer_count"),
            "evaluated_customer_count": len(validation),
        }
        actual = validation["spend_next"].to_numpy(dtype=float)
        target_name = "spend_next_h"
        no_training = {**split_info, "training_cutoff_count": 0, "training_row_count": 0, "fitted_row_count": 0}
        predictions, target_rows = {}, []
        daily_mean = spend.mean_daily_spend(training)
        for name in spend.BASELINES:
            predicted = spend.baseline_prediction(name, validation, horizon, daily_mean)
            if predicted is not None:
                info = {**split_info, "fitted_row_count": len(training)} if name == spend.MEAN_BASELINE else no_training
                predictions[name] = predicted
                target_rows.append(_regression_row(store, target_name, horizon, name, info, actual, predicted))
        for name in spend.regressors(neural):
            with timed_step(model, f"{store}: {name}"):
                fitted = spend.fit_regressor(name, training, seed, max_rows)
            if fitted is not None:
                fitted_info = {
                    **split_info,
                    "fitted_row_count": min(len(training), spend.fitted_row_cap(name, max_rows)),
                }
                predictions[name] = spend.predict_spend(fitted, validation)
                target_rows.append(
                    _regression_row(store, target_name, horizon, name, fitted_info, actual, predictions[name])
                )
        target_rows.extend(
            _probabilistic_rows(
                store,
                target_name,
                horizon,
                no_training,
                history,
                split.validation,
                validation,
                actual,
                predictions,
                seed,
                model,
            )
        )
        best_baseline = spend.choose_baseline(store_examples, split.tuning)
        with timed_step(model, f"{store}: paired bootstrap against {best_baseline}"):
            rows.extend(
                _compare_with_best_baseline(target_rows, predictions, actual, best_baseline, split.tuning, seed)
            )
        rows.extend(
            _clv_rows(
                store,
                snapshots[snapshots["store"] == store],
                history,
                store_examples,
                _data_end(data_ends, store),
                seed,
                model,
            )
        )
    # Baseline and regression rows have no fit or interval columns: reindex adds them empty.
    return typed_table([pd.DataFrame(rows).reindex(columns=list(VALUE_METRICS_SCHEMA))], VALUE_METRICS_SCHEMA)


VALUE_METRICS_SCHEMA = schema(
    "store:str target_name:str horizon_days:int model_name:str is_baseline:bool is_best:bool "
    "training_cutoff_count:int validation_cutoff:date training_row_count:int fitted_row_count:int "
    "row_count:int rmse:float mae:float mean_actual:float mean_predicted:float rmse_vs_baseline:float "
    "best_baseline_name:str baseline_selection_cutoff:date rmse_diff_vs_best_baseline:float "
    "rmse_diff_lower_95:float rmse_diff_upper_95:float beats_best_baseline:bool is_lowest_rmse:bool verdict:str "
    "fit_problem:str coverage_80:float coverage_95:float store_total_actual:float store_total_predicted:float "
    "store_total_lower_80:float store_total_upper_80:float store_total_lower_95:float store_total_upper_95:float "
    "validation_customer_count:int evaluated_customer_count:int"
)


def _clv_rows(store, store_snapshots: pd.DataFrame, history, store_examples, data_end_date, seed, model) -> list[dict]:
    days = spend.CLV_DAYS
    # The 365-day window ends by the store's data end, as every label (marts.store_data_ends).
    data_end = day_after(data_end_date)
    cutoffs = sorted(
        c for c in pd.to_datetime(store_snapshots["as_of_date"]).unique() if c + pd.Timedelta(days=days) <= data_end
    )
    if not cutoffs:
        log_progress(model, f"{store}: no snapshot has a full {days}-day window after it: 12-month value not validated")
        return []
    cutoff = cutoffs[-1]
    customers = _with_recent_activity(
        store_snapshots[pd.to_datetime(store_snapshots["as_of_date"]) == cutoff], history, store
    )
    outcomes = history.outcomes(store, cutoff, days)
    actual = (
        customers.merge(outcomes, on=["customer_key", "as_of_date"], how="left")["spend_next"]
        .fillna(0.0)
        .to_numpy(dtype=float)
    )
    # Labelled rows whose outcome window closed by the cutoff: the training mean comes from
    # them, and the best baseline is chosen at the latest of their cutoffs.
    closed = store_examples[
        store_examples["as_of_date"] + pd.to_timedelta(store_examples["horizon_days"].astype(int), unit="D") <= cutoff
    ]
    selection_cutoff = closed["as_of_date"].max() if not closed.empty else None
    split_info = {
        "training_cutoff_count": 0,
        "validation_cutoff": cutoff.date(),
        "training_row_count": 0,
        "fitted_row_count": 0,
        # Every customer of the snapshot at the cutoff is evaluated (one row each).
        "validation_customer_count": len(customers),
        "evaluated_customer_count": len(customers),
    }
    predictions, rows = {}, []
    for name in spend.BASELINES:
        predicted = spend.baseline_prediction(name, customers, days, spend.mean_daily_spend(closed))
        if predicted is not None:
            info = (
                {
                    **split_info,
                    "training_cutoff_count": closed["as_of_date"].nunique(),
                    "training_row_count": len(closed),
                }
                if name == spend.MEAN_BASELINE
                else split_info
            )
            predictions[name] = predicted
            rows.append(_regression_row(store, "value_next_365d", days, name, info, actual, predicted))
    rows.extend(
        _probabilistic_rows(
            store, "value_next_365d", days, split_info, history, cutoff, customers, actual, predictions, seed, model
        )
    )
    best_baseline = spend.choose_baseline(closed, selection_cutoff)
    return _compare_with_best_baseline(rows, predictions, actual, best_baseline, selection_cutoff, seed)


# --- the transaction model shown: chosen out of time ---------------------------------------

# The columns of ml.customer_value_metrics the later models read.
VALUE_METRIC_COLUMNS = (
    "store, target_name, model_name, is_best, rmse, fit_problem, beats_best_baseline, best_baseline_name"
)


@dataclasses.dataclass(frozen=True)
class ValueModelChoice:
    """The transaction model (BG/NBD or MBG/NBD) with the lowest out-of-time RMSE on the
    longest validated target (value_next_365d, else spend_next_h), a fit without problems
    first; whether it beat that target's best baseline, and that baseline (served instead
    when it does not)."""

    model_name: str
    beats_best_baseline: bool
    best_baseline_name: str | None

    @property
    def served_name(self) -> str:
        return (
            self.model_name if self.beats_best_baseline or self.best_baseline_name is None else self.best_baseline_name
        )


def chosen_transaction_model(metrics: pd.DataFrame, store: str) -> ValueModelChoice:
    rows = metrics[(metrics["store"] == store) & metrics["model_name"].isin(list(spend.TRANSACTION_MODELS))]
    if rows.empty:
        return ValueModelChoice(spend.PROBABILISTIC, False, None)
    target = "value_next_365d" if (rows["target_name"] == "value_next_365d").any() else "spend_next_h"
    rows = rows[rows["target_name"] == target].assign(has_problem=lambda frame: frame["fit_problem"].notna())
    best = rows.sort_values(["has_problem", "rmse", "model_name"], kind="mergesort").iloc[0]
    return ValueModelChoice(best["model_name"], bool(best["beats_best_baseline"]), best["best_baseline_name"])


def _probability_alive(transactions, summary: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """P(alive) and, where it is hidden (NaN), why: a degenerate fit says nothing, BG/NBD sets
    P(alive) = 1 by construction for a customer without a repeat purchase, and a customer
    without a sale order has nothing to score."""
    probability = np.asarray(
        transactions.probability_alive(summary["frequency"], summary["recency"], summary["age"]), dtype=float
    )
    reason = np.full(len(summary), None, dtype=object)
    # A customer whose every order was cancelled has no purchase to fit on.
    reason[summary["frequency"].isna().to_numpy()] = "no sale order on or before the scoring date"
    if transactions.ALIVE_WITHOUT_REPEAT_IS_CERTAIN:
        no_repeat = summary["frequency"].to_numpy() == 0
        reason[no_repeat] = "no repeat purchase: BG/NBD sets P(alive) = 1 by construction"
    if transactions.diagnostics is not None and transactions.diagnostics.is_degenerate:
        reason[:] = f"degenerate fit: {transactions.diagnostics.reason}"
    return np.where(pd.isna(reason), probability, np.nan), reason


# --- ml.customer_value_model_fits -----------------------------------------------------------


@single_threaded()
def customer_value_model_fits(
    customer_features: pd.DataFrame,
    fct_orders: pd.DataFrame | None,
    examples,
    data_ends: pd.DataFrame,
    summary_of=None,
) -> pd.DataFrame:
    """Per store, fit (the validation cutoff and the scoring date, the day after the store's
    data end) and model (BG/NBD, MBG/NBD, Gamma-Gamma): every parameter with its standard error
    and the checks of the fit. The fits read each customer's summary at the cutoff:
    summary_of(store, cutoff) (duckdb_summaries: computed in DuckDB), by default rfm_summary of
    fct_orders. customer_features: its store column; examples: the split columns of its
    cutoffs suffice (SPLIT_COLUMNS)."""
    model = "customer_value_model_fits"
    examples = _prepared_examples(examples)
    summary_of = summary_of or orders_summaries(fct_orders)
    rows = []
    for store in sorted(customer_features["store"].unique()):
        store_examples = examples[examples["store"] == store]
        fits = {}
        validation = _store_split(store_examples)[2].validation if not store_examples.empty else None
        if validation is not None:
            fits["validation"] = validation
        if (customer_features["store"] == store).any():
            fits["scoring"] = day_after(_data_end(data_ends, store))
        for purpose, cutoff in fits.items():
            with timed_step(model, f"{store}: BG/NBD, MBG/NBD, Gamma-Gamma as of {cutoff.date()} ({purpose})"):
                models = spend.fit_summary_models(summary_of(store, cutoff))
            for name, fitted in models.items():
                summary, transactions, purchase_value = fitted
                probability = transactions.probability_alive(summary["frequency"], summary["recency"], summary["age"])
                common = {
                    "store": store,
                    "fit_purpose": purpose,
                    "as_of_date": cutoff.date(),
                    "customer_count": len(summary),
                    "repeat_customer_count": int((summary["frequency"] > 0).sum()),
                }
                rows.extend(
                    _parameter_rows(
                        common,
                        name,
                        transactions,
                        share_probability_alive_above_099=float(np.mean(probability > 0.99)),
                    )
                )
                if name == spend.PROBABILISTIC:
                    rows.extend(
                        _parameter_rows(
                            common,
                            "gamma_gamma",
                            purchase_value,
                            frequency_value_correlation=purchase_value.frequency_value_correlation,
                        )
                    )
    return typed_table([pd.DataFrame(rows).reindex(columns=list(MODEL_FITS_SCHEMA))], MODEL_FITS_SCHEMA)


def model_fit_stores(
    evaluated: tuple[str, ...] | None, kept_scoring_fits: pd.DataFrame | None, data_ends: pd.DataFrame
) -> tuple[str, ...] | None:
    """The stores customer_value_model_fits fits on this build: those evaluated
    (registry.evaluated_stores; None, every store, when the table is built anew) and those whose
    kept scoring fit (kept_scoring_fits: store, as_of_date of the table's scoring rows) is not
    as of the day after today's data end: the scoring fits are as of that day
    (check_one_data_end_per_store), so a store whose data end moved is fitted again."""
    if evaluated is None:
        return None
    kept = dict(zip(kept_scoring_fits["store"], pd.to_datetime(kept_scoring_fits["as_of_date"])))
    moved = {
        store for store, end in zip(data_ends["store"], data_ends["data_end_date"]) if kept.get(store) != day_after(end)
    }
    return tuple(sorted(set(evaluated) | moved))


def _parameter_rows(common: dict, name: str, fitted, **extra) -> list[dict]:
    diagnostics = fitted.diagnostics
    return [
        {
            **common,
            "model_name": name,
            "parameter_name": parameter,
            "estimate": float(getattr(fitted, parameter)),
            "standard_error": float(error),
            "converged": diagnostics.converged,
            "is_degenerate": diagnostics.is_degenerate,
            "fit_problem": diagnostics.reason,
            "log_likelihood": diagnostics.log_likelihood,
            **extra,
        }
        for parameter, error in zip(fitted.PARAMETERS, diagnostics.standard_errors)
    ]


MODEL_FITS_SCHEMA = schema(
    "store:str fit_purpose:str as_of_date:date model_name:str parameter_name:str estimate:float "
    "standard_error:float converged:bool is_degenerate:bool fit_problem:str log_likelihood:float "
    "customer_count:int repeat_customer_count:int share_probability_alive_above_099:float "
    "frequency_value_correlation:float"
)


# --- ml.probability_alive_calibration -------------------------------------------------------


@single_threaded()
def probability_alive_calibration(
    fct_orders: pd.DataFrame | None, examples: pd.DataFrame, summary_of=None
) -> pd.DataFrame:
    """Per store and transaction model fitted on the orders before the validation cutoff: 10
    P(alive) bins against the share of their customers with a sale order in the next
    horizon_days (a customer alive may still not buy: P(alive) should be at least that share,
    and a bin near 1 with a low share shows a P(alive) that says little). The fit reads the
    customers' summary at the cutoff, summary_of(store, cutoff) (customer_value_model_fits);
    the bins are over the validation rows of the examples given (a sample of customers in the
    dbt model, row_count beside each bin)."""
    model = "probability_alive_calibration"
    examples = _prepared_examples(examples)
    summary_of = summary_of or orders_summaries(fct_orders)
    frames = []
    for validated in _validation_stores(examples):
        store, store_examples, horizon, split = validated
        validation = store_examples[store_examples["split"] == "validation"]
        with timed_step(model, f"{store}: BG/NBD, MBG/NBD before {split.validation.date()}"):
            models = spend.fit_summary_models(summary_of(store, split.validation))
        for name, fitted in models.items():
            summary, transactions, _ = fitted
            keyed = summary.set_index("customer_key").reindex(validation["customer_key"])
            probability = transactions.probability_alive(keyed["frequency"], keyed["recency"], keyed["age"])
            known = np.isfinite(probability)
            bins = calibration_bins(validation["purchased_again"].to_numpy()[known], np.asarray(probability)[known])
            bins.insert(0, "fit_problem", spend.fit_problem(fitted))
            bins.insert(0, "horizon_days", horizon)
            bins.insert(0, "as_of_date", split.validation.date())
            bins.insert(0, "model_name", name)
            bins.insert(0, "store", store)
            frames.append(bins)
    return typed_table(
        frames,
        schema(
            "store:str model_name:str as_of_date:date horizon_days:int fit_problem:str bin_index:int "
            "bin_lower:float bin_upper:float row_count:int mean_predicted_probability:float "
            "observed_positive_rate:float"
        ),
    )


# --- ml.next_order_metrics ------------------------------------------------------------------


def _expected_next_orders(history, store: str, transactions, summary, cutoff, window_days):
    """next_order.expected_next_orders of the customers of `summary`, with the store's purchase
    gaps and median wait at the cutoff read from the order history."""
    gaps, store_wait = history.purchase_gaps(store, cutoff), history.store_median_wait(store, cutoff)
    return next_order.expected_next_orders(transactions, summary, gaps, store_wait, cutoff, window_days)


def _next_order_check(history, store: str, cutoff: pd.Timestamp, window_end: pd.Timestamp, name: str):
    """The transaction model `name` fitted before the cutoff and every method's next-order error
    in days over the customers who ordered again in [cutoff, window_end): (customer count,
    window days, {method: errors}), None without repeat purchases to fit. Reads one row per
    customer from the order history (summary, gaps, first order in the window)."""
    fitted = spend.fit_summary(history.summary(store, cutoff), name)
    if fitted is None:
        return None
    summary, transactions, _ = fitted
    window_days = int((window_end - cutoff).days)
    expected = _expected_next_orders(history, store, transactions, summary, cutoff, window_days)
    realised = history.realised_next_order(store, cutoff, window_end).reindex(summary["customer_key"])
    return len(summary), window_days, next_order.next_order_errors(expected, realised.to_numpy())


@single_threaded()
def next_order_metrics(
    fct_orders: pd.DataFrame | RelationHistory,
    examples: pd.DataFrame,
    value_metrics,
    data_ends: pd.DataFrame,
    seed: int,
) -> pd.DataFrame:
    """Per store, out of time: the error in days of the expected next-order date against the
    realised first order after the cutoff (customers who ordered again inside the window), for
    the chosen transaction model (median wait given an order within the window) and two
    baselines. The baseline is chosen at the selection cutoff (the latest training cutoff,
    window up to the validation cutoff); at the validation cutoff (window up to the store's
    data end, data_ends: marts.store_data_ends) every method is compared with it by the 95%
    paired-bootstrap interval of the difference of median absolute errors, and the model is
    served only when that interval lies below 0. fct_orders: a marts.fct_orders-like frame, or
    the order history read per customer (order_history: computed in DuckDB)."""
    model = "next_order_metrics"
    examples = _prepared_examples(examples)
    history = as_history(fct_orders)
    rows = []
    for validated in _validation_stores(examples):
        store, cutoff = validated.store, validated.split.validation
        name = chosen_transaction_model(value_metrics, store).model_name
        selection_cutoff = validated.split.training[-1] if validated.split.training else None
        selection = None
        if selection_cutoff is not None:
            with timed_step(model, f"{store}: {name} before {selection_cutoff.date()} (baseline selection)"):
                selection = _next_order_check(history, store, selection_cutoff, cutoff, name)
        with timed_step(model, f"{store}: {name} before {cutoff.date()}"):
            checked = _next_order_check(history, store, cutoff, day_after(_data_end(data_ends, store)), name)
        if checked is None:
            continue
        customer_count, window_days, errors = checked
        selection_errors = selection[2] if selection is not None else None
        baseline = next_order.best_baseline(selection_errors)
        versus_baseline = {
            method: next_order.compare_with_baseline(errors[method], errors[baseline], seed) for method in errors
        }
        versus_naive = {
            method: next_order.compare_with_naive(errors[method], errors[next_order.NAIVE], seed) for method in errors
        }
        served = next_order.served_method(versus_baseline[next_order.MODEL], baseline)
        log_progress(model, f"{store}: best baseline {baseline} (chosen at {selection_cutoff}); served {served}")
        for method in next_order.METHODS:
            error, is_model, is_naive = errors[method], method == next_order.MODEL, method == next_order.NAIVE
            rows.append(
                {
                    "store": store,
                    "method_name": method,
                    "transaction_model_name": name if is_model else None,
                    "as_of_date": cutoff.date(),
                    "customer_count": customer_count,
                    "row_count": len(error),
                    "median_abs_error_days": next_order.median_abs_error(error),
                    "mean_abs_error_days": float(np.mean(np.abs(error))) if len(error) else None,
                    "median_error_days": float(np.median(error)) if len(error) else None,
                    "median_abs_error_diff_vs_naive": 0.0 if is_naive else versus_naive[method]["difference"],
                    "diff_lower_95": 0.0 if is_naive else versus_naive[method]["lower"],
                    "diff_upper_95": 0.0 if is_naive else versus_naive[method]["upper"],
                    "beats_naive": not is_naive and next_order.beats(versus_naive[method]),
                    "is_served": method == served,
                    "window_days": window_days,
                    "selection_cutoff": selection_cutoff.date() if selection is not None else None,
                    "selection_median_abs_error_days": (
                        next_order.median_abs_error(selection_errors[method]) if selection is not None else None
                    ),
                    "is_best_baseline": method == baseline,
                    "median_abs_error_diff_vs_baseline": versus_baseline[method]["difference"],
                    "baseline_diff_lower_95": versus_baseline[method]["lower"],
                    "baseline_diff_upper_95": versus_baseline[method]["upper"],
                    "beats_best_baseline": is_model and next_order.beats(versus_baseline[method]),
                }
            )
    return typed_table(
        [pd.DataFrame(rows)] if rows else [],
        schema(
            "store:str method_name:str transaction_model_name:str as_of_date:date customer_count:int row_count:int "
            "median_abs_error_days:float mean_abs_error_days:float median_error_days:float "
            "median_abs_error_diff_vs_naive:float diff_lower_95:float diff_upper_95:float beats_naive:bool "
            "is_served:bool window_days:int selection_cutoff:date selection_median_abs_error_days:float "
            "is_best_baseline:bool median_abs_error_diff_vs_baseline:float baseline_diff_lower_95:float "
            "baseline_diff_upper_95:float beats_best_baseline:bool"
        ),
    )


# --- ml.customer_value_predictions ---------------------------------------------------------


def _served_baseline(name: str, current: pd.DataFrame, days: float, store_examples: pd.DataFrame) -> np.ndarray:
    """A baseline's prediction for today's customers, its training mean over every labelled row."""
    return spend.baseline_prediction(name, current, days, spend.mean_daily_spend(store_examples))


def _served_model_name(metrics: pd.DataFrame, store: str, target: str) -> str | None:
    rows = metrics[(metrics["store"] == store) & (metrics["target_name"] == target) & metrics["is_best"]]
    return None if rows.empty else rows["model_name"].iloc[0]


@single_threaded()
def customer_value_predictions(
    customer_features: pd.DataFrame,
    fct_orders: pd.DataFrame | RelationHistory,
    examples: pd.DataFrame,
    metrics: pd.DataFrame,
    next_order_checks: pd.DataFrame,
    data_ends: pd.DataFrame,
    seed: int,
    max_rows: int,
    registered: dict | None = None,
) -> pd.DataFrame:
    """Every current customer once, as of the day after the store's data end (the day
    churn_scores scores on, marts.store_data_ends): spend in the next H days from the store's
    served spend model (customer_value_metrics.is_best: a model only when it beats the best
    baseline, refitted on every labelled cutoff), the transaction model chosen out of time
    (BG/NBD or MBG/NBD) + Gamma-Gamma fitted on the history up to the data end with 80% / 95%
    intervals of the 12-month value, P(alive) (hidden with a reason where it says nothing), and
    the expected next-order date of the method that won out of time. A customer with a sale
    order after the data end keeps the row, unscored, with unscored_reason. With `registered`
    (customer_value.registry.loaded), the spend regressor and the transaction models +
    Gamma-Gamma are the registered ones, fitted on their schedule. fct_orders: a
    marts.fct_orders-like frame, or the order history read per customer (order_history: the
    summary, purchase gaps and recent activity at the scoring day computed in DuckDB)."""
    examples = _prepared_examples(examples)
    history = as_history(fct_orders)
    frames = []
    for store in sorted(customer_features["store"].unique()):
        with measured_model(f"customer_value_predictions[{store}]") as record:
            frame, used = _store_value_predictions(
                customer_features,
                history,
                examples,
                metrics,
                next_order_checks,
                data_ends,
                store,
                seed,
                max_rows,
                registered,
            )
        if registered is not None:
            cv_registry.add_score_record(store, used, record)
        frames.append(frame)
    return typed_table(frames, PREDICTIONS_SCHEMA)


def _registered_estimator(registered: dict, store: str, name: str, method: str):
    """The registered estimator of a store's model; KeyError when the registry has none for the
    method the validation serves (customer_value_refit_decisions refits it first)."""
    version, fitted = registered.get((store, name), (None, None))
    if fitted is None or fitted.method != method:
        raise KeyError(f"no registered {name} {method} for store {store} (customer_value_models)")
    log_progress("customer_value_registry", f"{store}: {name} {method} version {version} loaded, scoring")
    return fitted.estimator


def _registered_summary(registered: dict, store: str, name: str, summary: pd.DataFrame):
    """(summary, transaction model, Gamma-Gamma) of the registered model `name`, scoring the
    customers' summary at the cutoff (summary_of, or the order history's summary)."""
    version, fitted = registered.get((store, name), (None, None))
    if fitted is None:
        raise KeyError(f"no registered {name} for store {store} (customer_value_models)")
    log_progress("customer_value_registry", f"{store}: {name} version {version} loaded, scoring")
    return cv_registry.probabilistic_from_summary(fitted, summary)


def _store_value_predictions(
    customer_features, history, examples, metrics, next_order_checks, data_ends, store, seed, max_rows, registered
):
    """One store's rows of customer_value_predictions and the registered models it used."""
    model = "customer_value_predictions"
    used = []
    current, cutoff = _scoring_customers(customer_features, history, data_ends, store)
    # The customers' summary at the scoring day: every transaction model scores (or is fitted on) it.
    summary = history.summary(store, cutoff)
    store_examples = examples[examples["store"] == store]
    horizon = int(store_examples["horizon_days"].iloc[0]) if not store_examples.empty else None
    frame = current[["customer_key", "customer_id", "as_of_date"]].copy()
    frame.insert(0, "store", store)
    frame["horizon_days"] = horizon
    frame["baseline_spend_next_h"] = spend.baseline_spend(current, horizon) if horizon else np.nan
    frame["baseline_value_12m"] = spend.baseline_spend(current, spend.CLV_DAYS)

    choice = chosen_transaction_model(metrics, store)
    value_model = choice.model_name
    if registered is not None and len(current):
        probabilistic = _registered_summary(registered, store, value_model, summary)
        used.append(value_model)
    else:
        with timed_step(model, f"{store}: {value_model} + Gamma-Gamma on the history to the data end"):
            probabilistic = spend.fit_summary(summary, value_model) if len(current) else None
    frame = frame.assign(
        value_model_name=None,
        probability_alive=np.nan,
        probability_alive_note=None,
        expected_purchases_90d=np.nan,
        expected_purchases_12m=np.nan,
        expected_value_per_purchase=np.nan,
        model_value_12m=np.nan,
        value_12m_lower_80=np.nan,
        value_12m_upper_80=np.nan,
        value_12m_lower_95=np.nan,
        value_12m_upper_95=np.nan,
        value_12m=np.nan,
        expected_next_order_date=pd.NaT,
        next_order_method=None,
        next_order_window_days=None,
    )
    if probabilistic is None:
        log_progress(model, f"{store}: too few repeat purchases for {value_model}: 12-month value empty")
    else:
        _, transactions, purchase_value = probabilistic
        keyed = summary.set_index("customer_key").reindex(current["customer_key"]).reset_index()
        frame["value_model_name"] = value_model
        probability, note = _probability_alive(transactions, keyed)
        frame["probability_alive"], frame["probability_alive_note"] = probability, note
        for column, days in (("expected_purchases_90d", 90), ("expected_purchases_12m", spend.CLV_DAYS)):
            frame[column] = transactions.expected_purchases(days, keyed["frequency"], keyed["recency"], keyed["age"])
        frame["expected_value_per_purchase"] = purchase_value.expected_mean_value(
            keyed["frequency"], keyed["repeat_mean_value"].clip(lower=0)
        )
        frame["model_value_12m"] = spend.probabilistic_value(probabilistic, current["customer_key"], spend.CLV_DAYS)
        with timed_step(model, f"{store}: parametric bootstrap of the 12-month value"):
            intervals, _ = spend.probabilistic_intervals(probabilistic, current["customer_key"], spend.CLV_DAYS, seed)
        if intervals is not None:
            for level in (0.80, 0.95):
                suffix = f"{round(level * 100)}"
                frame[f"value_12m_lower_{suffix}"], frame[f"value_12m_upper_{suffix}"] = intervals[level]
        if choice.served_name == value_model:
            frame["value_12m"] = frame["model_value_12m"]
        else:
            log_progress(model, f"{store}: {value_model} does not beat {choice.served_name}: value_12m is its")
            frame["value_model_name"] = choice.served_name
            frame["value_12m"] = _served_baseline(choice.served_name, current, spend.CLV_DAYS, store_examples)
        checks = next_order_checks[(next_order_checks["store"] == store) & next_order_checks["is_served"]]
        method = checks["method_name"].iloc[0] if not checks.empty else next_order.NAIVE
        # The window H the served method was checked on: the model's date is its median
        # wait given an order within H days.
        window = int(checks["window_days"].iloc[0]) if not checks.empty else None
        expected = _expected_next_orders(history, store, transactions, keyed, cutoff, window or 1)[method]
        frame["expected_next_order_date"] = pd.to_datetime(np.asarray(expected)).date
        frame["next_order_window_days"] = window
        frame["next_order_method"] = method

    frame["spend_model_name"], frame["predicted_spend_next_h"] = None, np.nan
    served = _served_model_name(metrics, store, "spend_next_h") if not metrics.empty else None
    if served is None or horizon is None:
        log_progress(model, f"{store}: no validated spend model: predicted_spend_next_h empty")
    else:
        frame["spend_model_name"] = served
        if served in spend.BASELINES:
            frame["predicted_spend_next_h"] = _served_baseline(served, current, horizon, store_examples)
        elif served in spend.TRANSACTION_MODELS:
            if served == value_model:
                fitted = probabilistic
            elif registered is not None:
                fitted = _registered_summary(registered, store, served, summary)
                used.append(served)
            else:
                fitted = spend.fit_summary(summary, served)
            frame["predicted_spend_next_h"] = spend.probabilistic_value(fitted, current["customer_key"], horizon)
        elif registered is not None:
            fitted = _registered_estimator(registered, store, cv_registry.SPEND, served)
            used.append(cv_registry.SPEND)
            frame["predicted_spend_next_h"] = spend.predict_spend(fitted, current)
        else:
            with timed_step(model, f"{store}: refit {served} on every labelled cutoff"):
                fitted = spend.fit_regressor(served, store_examples, seed, max_rows)
            frame["predicted_spend_next_h"] = spend.predict_spend(fitted, current)
    return _left_unscored(frame, current), used


PREDICTIONS_SCHEMA = schema(
    "store:str customer_key:str customer_id:str as_of_date:date horizon_days:int "
    "baseline_spend_next_h:float baseline_value_12m:float probability_alive:float "
    "expected_purchases_12m:float expected_value_per_purchase:float value_12m:float "
    "spend_model_name:str predicted_spend_next_h:float value_model_name:str probability_alive_note:str "
    "expected_purchases_90d:float model_value_12m:float value_12m_lower_80:float value_12m_upper_80:float "
    "value_12m_lower_95:float value_12m_upper_95:float expected_next_order_date:date next_order_method:str "
    "unscored_reason:str next_order_window_days:int"
)


def _left_unscored(frame: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """The predictions with every prediction of an unscorable customer (a sale order after the
    data end) emptied and unscored_reason saying why; the keys, the day and the horizon kept."""
    unscorable = ~current["is_scorable"].to_numpy(dtype=bool)
    kept = ["store", "customer_key", "customer_id", "as_of_date", "horizon_days"]
    frame = frame.copy()
    frame.loc[unscorable, frame.columns.difference(kept)] = None
    frame["unscored_reason"] = current["unscored_reason"].to_numpy()
    return frame


# --- ml.store_value_forecast ---------------------------------------------------------------


@single_threaded()
def store_value_forecast(
    customer_features: pd.DataFrame,
    fct_orders: pd.DataFrame,
    metrics: pd.DataFrame,
    data_ends,
    seed: int,
    registered: dict | None = None,
    summary_of=None,
) -> pd.DataFrame:
    """Per store, as of the day after its data end (customer_value_predictions' day): the
    next-12-month net revenue of today's scored customers from the transaction model chosen out
    of time, with 80% and 95% intervals of the total (simulated futures with parameters drawn
    from their estimated covariance; none when the fit has a problem), and whether that model is
    served; the customers left unscored (a sale order after the data end) are counted. The
    transaction model reads the customers' summary at that day, summary_of(store, cutoff)
    (duckdb_summaries; by default rfm_summary of fct_orders, which then needs only the orders
    of the last SCORING_ORDER_WINDOW_DAYS days when summary_of is given)."""
    model = "store_value_forecast"
    history = OrderHistory(fct_orders)
    summary_of = summary_of or history.summary
    rows = []
    for store in sorted(customer_features["store"].unique()):
        current, cutoff = _scoring_customers(customer_features, history, data_ends, store)
        choice = chosen_transaction_model(metrics, store)
        with measured_model(f"store_value_forecast[{store}]") as record:
            summary = summary_of(store, cutoff)
            if registered is not None:
                fitted = _registered_summary(registered, store, choice.model_name, summary)
            else:
                with timed_step(model, f"{store}: {choice.model_name} + Gamma-Gamma on the history to the data end"):
                    fitted = spend.fit_summary(summary, choice.model_name)
            if fitted is not None:
                keys = current.loc[current["is_scorable"], "customer_key"]
                _, total = spend.probabilistic_intervals(fitted, keys, spend.CLV_DAYS, seed)
        if registered is not None:
            cv_registry.add_score_record(store, [choice.model_name], record)
        if fitted is None:
            continue
        row = {
            "store": store,
            "as_of_date": cutoff.date(),
            "customer_count": len(keys),
            "unscored_customer_count": int((~current["is_scorable"]).sum()),
            "value_model_name": choice.model_name,
            "is_served": choice.served_name == choice.model_name,
            "served_value_model_name": choice.served_name,
            "fit_problem": spend.fit_problem(fitted),
            "model_value_12m_total": float(spend.probabilistic_value(fitted, keys, spend.CLV_DAYS).sum()),
        }
        for level in (0.80, 0.95):
            lower, upper = total[level] if total is not None else (None, None)
            row[f"value_12m_total_lower_{round(level * 100)}"] = lower
            row[f"value_12m_total_upper_{round(level * 100)}"] = upper
        rows.append(row)
    columns = schema(
        "store:str as_of_date:date customer_count:int value_model_name:str is_served:bool "
        "served_value_model_name:str fit_problem:str model_value_12m_total:float value_12m_total_lower_80:float "
        "value_12m_total_upper_80:float value_12m_total_lower_95:float value_12m_total_upper_95:float "
        "unscored_customer_count:int"
    )
    return typed_table([pd.DataFrame(rows).reindex(columns=list(columns))], columns)


# --- ml_registry: fit on schedule, score every build (customer_value.registry) -------------------


def store_inputs(
    customer_features: pd.DataFrame,
    fct_orders: pd.DataFrame | RelationHistory,
    examples: pd.DataFrame,
    data_ends: pd.DataFrame,
) -> dict[str, cv_registry.StoreInputs]:
    """Per store of the examples: the inputs the registered models are decided on and fitted on,
    as the scoring tables read them (labelled examples in their stable order, the scoring day;
    read when first used: today's scorable customers with their features, the RFM summary at the
    scoring day, the InputStats of the sale orders before it). fct_orders: a
    marts.fct_orders-like frame, or the order history read per customer (order_history: the
    summary and recent activity computed in DuckDB, the orders read in chunks)."""
    examples = _prepared_examples(examples)
    history = as_history(fct_orders)
    inputs = {}
    for store in sorted(examples["store"].unique()):
        cutoff = day_after(_data_end(data_ends, store))
        inputs[store] = cv_registry.StoreInputs(
            examples[examples["store"] == store],
            cutoff,
            functools.partial(_scorable_customers, customer_features, history, data_ends, store),
            functools.partial(history.summary, store, cutoff),
            functools.partial(history.orders_before, store, cutoff),
        )
    return inputs


def _scorable_customers(customer_features: pd.DataFrame, history, data_ends, store: str) -> pd.DataFrame:
    current, _ = _scoring_customers(customer_features, history, data_ends, store)
    return current[current["is_scorable"].to_numpy(dtype=bool)]


def required_models(
    stores, churn_metrics: pd.DataFrame, value_metrics: pd.DataFrame
) -> dict[str, list[cv_registry.Required]]:
    """The models each store serves on this build (customer_value.registry.required_models)."""
    return {
        store: cv_registry.required_models(
            store, churn_metrics, value_metrics, chosen_transaction_model(value_metrics, store)
        )
        for store in stores
    }


# --- the evaluations, part of the fit (customer_value.registry.evaluation_decisions) --------

# The evaluation tables as the previous build left them, read by name by
# customer_value_evaluation_decisions (they are built after it): what each store serves.
PREVIOUS_EVALUATIONS = {"churn_model_metrics": CHURN_METRICS_SCHEMA, "customer_value_metrics": VALUE_METRICS_SCHEMA}


def previous_served(
    stores, churn_metrics: pd.DataFrame | None, value_metrics: pd.DataFrame | None
) -> tuple[dict[str, list[cv_registry.Required]], bool]:
    """(the models each store's previous evaluation serves, whether there is one): required_models
    on ml.churn_model_metrics and ml.customer_value_metrics as the previous build left them; when
    either is absent (first build), on none (the default transaction model of each store)."""
    has_previous = churn_metrics is not None and value_metrics is not None
    if not has_previous:
        churn_metrics, value_metrics = (typed_table([], columns) for columns in PREVIOUS_EVALUATIONS.values())
    return required_models(stores, churn_metrics, value_metrics), has_previous


def of_stores(relation, stores: tuple[str, ...] | None):
    """A DuckDB relation with a store column, filtered in DuckDB to the stores evaluated on this
    build (registry.evaluated_stores; None: every store). Every evaluation is per store (each
    store's sample, seed and rows alone), so a store's rows do not depend on the others."""
    if stores is None:
        return relation
    return relation.filter(f"store in ({', '.join(sql_text(store) for store in stores) or 'null'})")


def nothing_evaluated(session, this, model: str):
    """The rows an evaluation table writes when no store is evaluated: none, in the table's own
    types (its rows of the last evaluation of each store stay)."""
    log_progress(model, "no store evaluated: every store's rows kept from its last evaluation")
    return session.sql(f"select * from {this} where false")
