"""The tables of python_models/customer_value/, one function per dbt model: each loops over
the stores present, logs progress, and degrades to fewer (or empty) rows for a store whose
history is too short to label or validate, saying why. Models are fitted on one BLAS thread
(common.single_threaded): the same input gives the same scores on every build."""

from __future__ import annotations

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import log_progress, per_store, schema, single_threaded, timed_step, typed_table
from retail_warehouse.ml.customer_value import churn, spend
from retail_warehouse.ml.customer_value.labels import (
    FEATURES,
    SNAPSHOT_FEATURES,
    as_of_scoring_date,
    assert_features_ignore_future,
    attach_features,
    labelled_examples,
    observed_data_end,
    out_of_time_split,
    outcome_labels,
    recent_activity_features,
    sale_orders,
)
from retail_warehouse.ml.customer_value.metrics import calibration_bins, classification_metrics, regression_metrics

# The columns of marts.fct_orders the tables read (labels.sale_orders keeps the sale orders),
# projected in DuckDB: the whole mart as pandas would cost ~10x the memory.
ORDER_COLUMNS = "store, order_type, is_cancelled, customer_key, order_date, net_revenue_amount"
# The columns of marts.customer_features and of its snapshots the tables read.
CUSTOMER_COLUMNS = ", ".join(("store", "customer_key", "customer_id", "as_of_date", *SNAPSHOT_FEATURES))
# The columns of ml.customer_value_examples and of ml.churn_model_metrics the later models read.
EXAMPLE_COLUMNS = ", ".join(
    ("store", "customer_key", "as_of_date", "split", "horizon_days", "target_name", *FEATURES)
    + ("spend_next", "purchased_again", "is_positive")
)
BEST_MODEL_COLUMNS = "store, model_name, target_name, horizon_days, threshold, flagged_share, is_best"
# The columns of ml.churn_validation_predictions churn_model_metrics reads.
PREDICTION_COLUMNS = (
    "store, model_name, customer_key, target_name, horizon_days, is_positive, probability, threshold, "
    "selection_cutoff, selection_roc_auc, selection_pr_auc, selection_roc_auc_gain_lower, selection_flagged_share"
)
# churn_scores recounts recency and tenure at the day after the data end from these dates.
SCORING_COLUMNS = CUSTOMER_COLUMNS + ", first_order_date, last_order_date"
# marts.store_data_ends: each store's last complete day, the one "today" of every model.
DATA_END_COLUMNS = "store, data_end_date"


def _stores(*frames: pd.DataFrame) -> list[str]:
    return sorted(set().union(*(set(frame["store"].dropna().unique()) for frame in frames)))


def _store_orders(fct_orders: pd.DataFrame, store: str) -> pd.DataFrame:
    return sale_orders(fct_orders[fct_orders["store"] == store])


def _data_end(data_ends: pd.DataFrame, store: str) -> pd.Timestamp:
    """The store's data end (marts.store_data_ends.data_end_date)."""
    ends = data_ends.loc[data_ends["store"] == store, "data_end_date"]
    if ends.empty:
        raise KeyError(f"marts.store_data_ends has no data_end_date for store {store!r}")
    return pd.Timestamp(ends.iloc[0])


# --- ml.customer_value_examples ------------------------------------------------------------

EXAMPLES_SCHEMA = {
    **schema("store:str customer_key:str customer_id:str as_of_date:date split:str horizon_days:int target_name:str"),
    **{feature: "float" for feature in FEATURES},
    **schema("orders_next:int spend_next:float purchased_again:bool is_positive:bool"),
}


def customer_value_examples(
    snapshots: pd.DataFrame, fct_orders: pd.DataFrame, horizons, targets, data_ends: pd.DataFrame
) -> pd.DataFrame:
    """Every snapshot row at a labelled cutoff with features, outcomes and its split:
    training (outcome window closed by the validation cutoff), validation (the latest labelled
    cutoff) or refit_only (labelled, used only to refit the scoring models on all history).
    horizons and targets: per store (common.per_store), vars churn_horizon_days and
    churn_target; data_ends: marts.store_data_ends (outcome windows end by the data end)."""
    model = "customer_value_examples"
    frames = []
    for store in _stores(snapshots, fct_orders):
        horizon = int(per_store(horizons, store, "churn_horizon_days"))
        target = per_store(targets, store, "churn_target")
        orders = _store_orders(fct_orders, store)
        store_snapshots = snapshots[snapshots["store"] == store]
        with timed_step(model, f"{store}: labelled examples, H = {horizon} days, target {target}"):
            examples = labelled_examples(store_snapshots, orders, horizon, _data_end(data_ends, store))
            assert_features_ignore_future(recent_activity_features, orders, examples["as_of_date"].unique())
        if examples.empty:
            log_progress(model, f"{store}: no snapshot has a full {horizon}-day outcome window: no examples")
            continue
        split = out_of_time_split(examples["as_of_date"].unique(), horizon)
        examples["split"] = np.select(
            [examples["as_of_date"] == split.validation, examples["as_of_date"].isin(split.training)],
            ["validation", "training"],
            "refit_only",
        )
        examples["store"] = store
        examples["horizon_days"] = horizon
        examples["target_name"] = target
        examples["is_positive"] = churn.positive_labels(examples, target)
        log_progress(
            model,
            f"{store}: {len(examples)} examples at {examples['as_of_date'].nunique()} cutoffs; "
            f"{len(split.training)} training cutoffs, validation at "
            f"{split.validation.date() if split.validation is not None else 'none'}",
        )
        frames.append(examples)
    return typed_table(frames, EXAMPLES_SCHEMA)


def _prepared_examples(examples: pd.DataFrame) -> pd.DataFrame:
    """The examples table as read back from the warehouse, in a stable order."""
    frame = examples.copy()
    frame["as_of_date"] = pd.to_datetime(frame["as_of_date"])
    frame["purchased_again"] = frame["purchased_again"].astype(bool)
    return frame.sort_values(["store", "as_of_date", "customer_key"], kind="mergesort").reset_index(drop=True)


def _store_split(store_examples: pd.DataFrame):
    horizon = int(store_examples["horizon_days"].iloc[0])
    training = tuple(sorted(store_examples.loc[store_examples["split"] == "training", "as_of_date"].unique()))
    validation = store_examples.loc[store_examples["split"] == "validation", "as_of_date"]
    split = out_of_time_split([*training, *validation.unique()], horizon)
    return horizon, store_examples["target_name"].iloc[0], split


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


def churn_model_metrics(predictions: pd.DataFrame, examples: pd.DataFrame, max_rows: int, seed: int) -> pd.DataFrame:
    """Per store and classifier: the out-of-time scores at the validation cutoff, and the
    ROC-AUC gain over the recency baseline with its paired-bootstrap 95% interval
    (beats_baseline: the interval is above 0). is_best, the model churn_scores serves, is
    chosen at the earlier selection cutoff, never at the validation cutoff it is reported on:
    the highest selection PR-AUC (then ROC-AUC) among the models whose selection ROC-AUC gain
    over recency has its interval above 0; the recency baseline itself when none has."""
    examples = _prepared_examples(examples)
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
                "training_row_count": training_rows,
                "fitted_row_count": min(training_rows, churn.fitted_row_cap(name, max_rows)),
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
    "roc_auc_gain_ci_upper:float beats_baseline:bool served_reason:str"
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


# --- ml.churn_scores -----------------------------------------------------------------------


@single_threaded()
def churn_scores(
    customer_features: pd.DataFrame,
    fct_orders: pd.DataFrame,
    examples: pd.DataFrame,
    metrics: pd.DataFrame,
    data_ends: pd.DataFrame,
    seed: int,
    max_rows: int,
) -> pd.DataFrame:
    """Every current customer once, scored as of the day after the store's data end by the
    store's best classifier refitted on every labelled cutoff. Flags: the top flagged_share of
    the scored customers by probability, flagged_share being the share the threshold tuned
    before validation flagged on the rows it was tuned on (the selection cutoff) (a probability threshold tuned on one
    model does not carry over to the refitted one; a rank share does); threshold is the
    refitted model's probability at that rank. A store without a validated model, and a
    customer with a sale order after the data end, keep their rows, unscored."""
    model = "churn_scores"
    examples = _prepared_examples(examples)
    best_models = _best_models(metrics)
    frames = []
    for store in sorted(customer_features["store"].unique()):
        orders = _store_orders(fct_orders, store)
        data_end = _data_end(data_ends, store)
        at_data_end = as_of_scoring_date(customer_features[customer_features["store"] == store], orders, data_end)
        # The recent-activity features as of the scoring day, the day after the data end.
        current = attach_features(at_data_end, orders)
        scorable = current["is_scorable"].to_numpy(dtype=bool)
        frame = current[["customer_key", "customer_id", "as_of_date"]].copy()
        frame.insert(0, "store", store)
        best = best_models.get(store)
        estimator = None
        if best is not None:
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
        elif scorable.any():
            scored = current[scorable]
            probability = churn.positive_probability(estimator, scored)
            churn_probability = churn.churn_probability(probability, best["target_name"])
            reference = examples.loc[examples["store"] == store, list(FEATURES)].median()
            flagged, threshold = churn.flag_top_share(probability, scored["customer_key"], best["flagged_share"])
            frame.loc[scorable, "model_name"] = best["model_name"]
            frame.loc[scorable, "target_name"] = best["target_name"]
            frame.loc[scorable, "horizon_days"] = int(best["horizon_days"])
            frame.loc[scorable, "threshold"] = threshold
            frame.loc[scorable, "positive_class_probability"] = probability
            frame.loc[scorable, "churn_probability"] = churn_probability
            frame.loc[scorable, "is_flagged"] = flagged
            frame.loc[scorable, "risk_band"] = churn.risk_band(churn_probability)
            frame.loc[scorable, "top_drivers"] = churn.top_drivers(estimator, scored, reference)
            frame.loc[scorable, "flag_rule"] = (
                f"top {best['flagged_share']:.1%} by {best['target_name']} probability: the share the F1-best "
                f"threshold ({float(best['threshold']):.3g}) flagged at the selection cutoff it was tuned on"
            )
        frames.append(frame)
    return typed_table(
        frames,
        schema(
            "store:str customer_key:str customer_id:str as_of_date:date model_name:str target_name:str "
            "horizon_days:int threshold:float positive_class_probability:float churn_probability:float "
            "is_flagged:bool risk_band:str top_drivers:str flag_rule:str"
        ),
    )


# --- ml.customer_value_metrics -------------------------------------------------------------


def _regression_row(store, target_name, horizon, name, split_info, actual, predicted):
    return {
        "store": store,
        "target_name": target_name,
        "horizon_days": horizon,
        "model_name": name,
        "is_baseline": name == spend.BASELINE,
        **split_info,
        **regression_metrics(actual, predicted),
    }


@single_threaded()
def customer_value_metrics(
    examples: pd.DataFrame, snapshots: pd.DataFrame, fct_orders: pd.DataFrame, seed: int, max_rows: int
) -> pd.DataFrame:
    """Out of time, per store: spend in the next H days (regressions, BG/NBD + Gamma-Gamma,
    baseline), and value in the next 365 days where a full 365-day window exists after the
    latest possible cutoff (BG/NBD + Gamma-Gamma and baseline only: no earlier cutoff has a
    closed 365-day window to train a regression on)."""
    model = "customer_value_metrics"
    examples = _prepared_examples(examples)
    rows = []
    for store, store_examples in examples.groupby("store", sort=True):
        horizon, _, split = _store_split(store_examples)
        orders = _store_orders(fct_orders, store)
        if not split.is_usable:
            log_progress(model, f"{store}: no training cutoff before the validation cutoff: spend not validated")
            continue
        training = store_examples[store_examples["split"] == "training"]
        validation = store_examples[store_examples["split"] == "validation"]
        split_info = {
            "training_cutoff_count": len(split.training),
            "validation_cutoff": split.validation.date(),
            "training_row_count": len(training),
        }
        actual = validation["spend_next"].to_numpy(dtype=float)
        target_name = "spend_next_h"
        no_training = {**split_info, "training_cutoff_count": 0, "training_row_count": 0, "fitted_row_count": 0}
        rows.append(
            _regression_row(
                store,
                target_name,
                horizon,
                spend.BASELINE,
                no_training,
                actual,
                spend.baseline_spend(validation, horizon),
            )
        )
        for name in spend.REGRESSORS:
            with timed_step(model, f"{store}: {name}"):
                fitted = spend.fit_regressor(name, training, seed, max_rows)
            if fitted is not None:
                fitted_info = {
                    **split_info,
                    "fitted_row_count": min(len(training), spend.fitted_row_cap(name, max_rows)),
                }
                rows.append(
                    _regression_row(
                        store,
                        target_name,
                        horizon,
                        name,
                        fitted_info,
                        actual,
                        spend.predict_spend(fitted, validation),
                    )
                )
        with timed_step(model, f"{store}: BG/NBD + Gamma-Gamma on the orders before {split.validation.date()}"):
            probabilistic = spend.fit_probabilistic(orders, split.validation)
        if probabilistic is not None:
            rows.append(
                _regression_row(
                    store,
                    target_name,
                    horizon,
                    spend.PROBABILISTIC,
                    no_training,
                    actual,
                    spend.probabilistic_value(probabilistic, validation["customer_key"], horizon),
                )
            )
        rows.extend(
            _clv_rows(store, store_snapshots=snapshots[snapshots["store"] == store], orders=orders, model=model)
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return typed_table([], VALUE_METRICS_SCHEMA)
    table["is_best"] = False
    for (_, _), group in table.groupby(["store", "target_name"]):
        table.loc[group.sort_values(["rmse", "model_name"], kind="mergesort").index[0], "is_best"] = True
        baseline = group.loc[group["is_baseline"], "rmse"]
        if not baseline.empty:
            table.loc[group.index, "rmse_vs_baseline"] = group["rmse"] / baseline.iloc[0]
    return typed_table([table], VALUE_METRICS_SCHEMA)


VALUE_METRICS_SCHEMA = schema(
    "store:str target_name:str horizon_days:int model_name:str is_baseline:bool is_best:bool "
    "training_cutoff_count:int validation_cutoff:date training_row_count:int fitted_row_count:int "
    "row_count:int rmse:float mae:float mean_actual:float mean_predicted:float rmse_vs_baseline:float"
)


def _clv_rows(store, store_snapshots: pd.DataFrame, orders: pd.DataFrame, model: str) -> list[dict]:
    days = spend.CLV_DAYS
    data_end = observed_data_end(orders)
    cutoffs = sorted(
        c for c in pd.to_datetime(store_snapshots["as_of_date"]).unique() if c + pd.Timedelta(days=days) <= data_end
    )
    if not cutoffs:
        log_progress(model, f"{store}: no snapshot has a full {days}-day window after it: 12-month value not validated")
        return []
    cutoff = cutoffs[-1]
    customers = attach_features(store_snapshots[pd.to_datetime(store_snapshots["as_of_date"]) == cutoff], orders)
    outcomes = outcome_labels(orders, [cutoff], days)
    actual = customers.merge(outcomes, on=["customer_key", "as_of_date"], how="left")["spend_next"].fillna(0.0)
    split_info = {
        "training_cutoff_count": 0,
        "validation_cutoff": cutoff.date(),
        "training_row_count": 0,
        "fitted_row_count": 0,
    }
    rows = [
        _regression_row(
            store,
            "value_next_365d",
            days,
            spend.BASELINE,
            split_info,
            actual,
            spend.baseline_spend(customers, days),
        )
    ]
    with timed_step(model, f"{store}: BG/NBD + Gamma-Gamma for 365 days after {cutoff.date()}"):
        probabilistic = spend.fit_probabilistic(orders, cutoff)
    if probabilistic is not None:
        rows.append(
            _regression_row(
                store,
                "value_next_365d",
                days,
                spend.PROBABILISTIC,
                split_info,
                actual,
                spend.probabilistic_value(probabilistic, customers["customer_key"], days),
            )
        )
    return rows


# --- ml.customer_value_predictions ---------------------------------------------------------


@single_threaded()
def customer_value_predictions(
    customer_features: pd.DataFrame,
    fct_orders: pd.DataFrame,
    examples: pd.DataFrame,
    metrics: pd.DataFrame,
    seed: int,
    max_rows: int,
) -> pd.DataFrame:
    """Every current customer once: spend in the next H days from the store's best spend
    model (refitted on every labelled cutoff), the baseline, and the BG/NBD + Gamma-Gamma
    12-month value fitted on all history (as of customer_features.as_of_date)."""
    model = "customer_value_predictions"
    examples = _prepared_examples(examples)
    frames = []
    for store in sorted(customer_features["store"].unique()):
        orders = _store_orders(fct_orders, store)
        current = attach_features(customer_features[customer_features["store"] == store], orders)
        store_examples = examples[examples["store"] == store]
        horizon = int(store_examples["horizon_days"].iloc[0]) if not store_examples.empty else None
        frame = current[["customer_key", "customer_id", "as_of_date"]].copy()
        frame.insert(0, "store", store)
        frame["horizon_days"] = horizon
        frame["baseline_spend_next_h"] = spend.baseline_spend(current, horizon) if horizon else np.nan
        frame["baseline_value_12m"] = spend.baseline_spend(current, spend.CLV_DAYS)

        cutoff = pd.to_datetime(current["as_of_date"]).max() if len(current) else None
        with timed_step(model, f"{store}: BG/NBD + Gamma-Gamma on all history"):
            probabilistic = spend.fit_probabilistic(orders, cutoff) if cutoff is not None else None
        if probabilistic is None:
            log_progress(model, f"{store}: too few repeat purchases for BG/NBD + Gamma-Gamma: 12-month value empty")
            frame = frame.assign(
                probability_alive=np.nan,
                expected_purchases_12m=np.nan,
                expected_value_per_purchase=np.nan,
                value_12m=np.nan,
            )
        else:
            summary, transactions, purchase_value = probabilistic
            keyed = summary.set_index("customer_key").reindex(current["customer_key"])
            frame["probability_alive"] = transactions.probability_alive(
                keyed["frequency"], keyed["recency"], keyed["age"]
            )
            frame["expected_purchases_12m"] = transactions.expected_purchases(
                spend.CLV_DAYS, keyed["frequency"], keyed["recency"], keyed["age"]
            )
            frame["expected_value_per_purchase"] = purchase_value.expected_mean_value(
                keyed["frequency"], keyed["repeat_mean_value"].clip(lower=0)
            )
            frame["value_12m"] = spend.probabilistic_value(probabilistic, current["customer_key"], spend.CLV_DAYS)

        frame["spend_model_name"], frame["predicted_spend_next_h"] = None, np.nan
        best = (
            metrics[(metrics["store"] == store) & (metrics["target_name"] == "spend_next_h") & metrics["is_best"]]
            if not metrics.empty
            else metrics
        )
        if best.empty or horizon is None:
            log_progress(model, f"{store}: no validated spend model: predicted_spend_next_h empty")
        else:
            name = best["model_name"].iloc[0]
            frame["spend_model_name"] = name
            if name == spend.BASELINE:
                frame["predicted_spend_next_h"] = frame["baseline_spend_next_h"]
            elif name == spend.PROBABILISTIC:
                frame["predicted_spend_next_h"] = spend.probabilistic_value(
                    probabilistic, current["customer_key"], horizon
                )
            else:
                with timed_step(model, f"{store}: refit {name} on every labelled cutoff"):
                    fitted = spend.fit_regressor(name, store_examples, seed, max_rows)
                frame["predicted_spend_next_h"] = spend.predict_spend(fitted, current)
        frames.append(frame)
    return typed_table(
        frames,
        schema(
            "store:str customer_key:str customer_id:str as_of_date:date horizon_days:int "
            "baseline_spend_next_h:float baseline_value_12m:float probability_alive:float "
            "expected_purchases_12m:float expected_value_per_purchase:float value_12m:float "
            "spend_model_name:str predicted_spend_next_h:float"
        ),
    )
