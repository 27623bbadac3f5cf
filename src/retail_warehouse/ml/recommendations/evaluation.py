"""Evaluation of the recommenders (algorithms.py) split by date: the models learn from every
basket up to a cutoff day and are scored on what each customer with earlier history (a seeded
hash sample of at most a given number of them) bought after it, up to the store's data end. Each method is compared with the best of two baselines,
popularity and buy-again, by a seeded paired bootstrap interval of the hit-rate gain.

The headline protocol is new_items, what is served: only products the customer never bought
may be recommended, scored on the held-out products new to them. all_items lets bought
products back in (repeat purchases are most of what a wholesaler's customers buy); there the
trivial buy-again list is the baseline to beat."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from retail_warehouse.ml.common import (
    paired_difference_interval,
    single_threaded,
    timed_step,
)
from retail_warehouse.ml.recommendations import baskets
from retail_warehouse.ml.recommendations.algorithms import (
    BUY_AGAIN,
    METHODS,
    NEURAL_METHODS,
    POPULARITY,
    Interactions,
    Scorer,
    batches,
    fit_recommender,
    interactions_from_counts,
    rules_from_counts,
    top_k,
)

NEW_ITEMS = "new_items"
ALL_ITEMS = "all_items"
PROTOCOLS = (ALL_ITEMS, NEW_ITEMS)
HEADLINE_PROTOCOL = NEW_ITEMS
BASELINES = (POPULARITY, BUY_AGAIN)
BOOTSTRAP_RESAMPLES = 1000


@dataclass(frozen=True)
class SampledEvaluation:
    """evaluate_split's metrics and hits, the customers held out / sampled, and the customers
    and items with training baskets / fitted on (baskets.fit_counts)."""

    metrics: pd.DataFrame
    customer_hits: dict[tuple[str, str], np.ndarray]
    held_out_customers: int
    sampled_customers: int
    training_customers: int
    fitted_customers: int
    training_items: int
    fitted_items: int


def evaluate_baskets(
    items: duckdb.DuckDBPyRelation,
    store: str,
    cutoff: dt.date,
    data_end: dt.date,
    k: int,
    rule_settings: dict,
    n_components: int,
    seed: int,
    max_customers: int,
    neural: bool = True,
    fit_max_customers: int | None = None,
    fit_max_items: int | None = None,
) -> SampledEvaluation:
    """The evaluation split by date of a store's baskets (baskets.basket_items): trained on the
    baskets ordered on or before `cutoff`, scored on what a seeded hash sample of at most
    max_customers of the held-out customers (baskets on both sides of the cutoff) bought after
    it up to `data_end`. neural: the var ml_neural (item2vec). The models learn from the
    training baskets of a seeded hash sample of at most fit_max_customers customers on the
    fit_max_items most popular items of the sample (baskets.fit_counts; None: no cap).
    Everything is counted, sampled and capped in DuckDB first (baskets.py): pandas holds the
    fit's counts and the sampled held-out customers' counts, never a whole store's."""
    held_out = baskets.held_out_query(store, cutoff, data_end)
    sample = baskets.hash_sample(held_out, max_customers, seed)
    sampled = baskets.in_query(sample)
    test_counts = baskets.customer_item_counts(items, store, after=cutoff, through=data_end, customers=sampled)
    history_counts = baskets.customer_item_counts(items, store, through=cutoff, customers=sampled)
    rules = rules_from_counts(
        *baskets.rule_counts(
            items, store, rule_settings["min_support"], rule_settings["min_pair_baskets"], through=cutoff
        ),
        rule_settings["max_consequents"],
    )
    fit = baskets.fit_counts(items, store, cutoff, fit_max_customers, fit_max_items, seed)
    metrics, customer_hits = evaluate_split(
        fit.counts,
        history_counts,
        test_counts,
        rules,
        k,
        n_components,
        seed,
        methods=methods_for(neural),
    )
    return SampledEvaluation(
        metrics,
        customer_hits,
        baskets.counted(items, held_out),
        baskets.counted(items, sample),
        fit.training_customers,
        fit.fitted_customers,
        fit.training_items,
        fit.fitted_items,
    )


def methods_for(neural: bool) -> tuple[str, ...]:
    """The methods evaluated: every one, the neural ones only when `neural`."""
    return tuple(method for method in METHODS if neural or method not in NEURAL_METHODS)


def paired_gain_interval(model_hits: np.ndarray, baseline_hits: np.ndarray, seed: int) -> tuple[float, float]:
    """Seeded paired bootstrap (customers resampled) 95% interval of the hit-rate gain
    mean(model_hits) - mean(baseline_hits) over the same customers (0, 0 without customers)."""
    if len(model_hits) == 0:
        return 0.0, 0.0
    gain = paired_difference_interval(np.mean, model_hits, baseline_hits, seed, n_resamples=BOOTSTRAP_RESAMPLES)
    return gain["lower"], gain["upper"]


def evaluate_split(
    fit_counts: pd.DataFrame,
    history_counts: pd.DataFrame,
    test_counts: pd.DataFrame,
    rules: pd.DataFrame,
    k: int,
    n_components: int,
    seed: int,
    methods: tuple[str, ...] = METHODS,
) -> tuple[pd.DataFrame, dict[tuple[str, str], np.ndarray]]:
    """Every method of `methods` under both PROTOCOLS (buy-again under all_items only: it recommends
    nothing new): hit rate@k (share of evaluated customers with at least one held-out item in
    their top k), precision@k (held-out items in the top k / k), recall@k and catalogue
    coverage (distinct items recommended / items fitted on). Held-out items that never occur
    in the fit count as misses.

    Baskets per customer and item (customer_key, item_key, baskets): fit_counts, those the
    models learn from (baskets.fit_counts: a customer sample on the items kept);
    history_counts / test_counts, the held-out customers' baskets before and after the cutoff
    (each customer of test_counts must have training counts: the caller samples them; they are
    scored from all their training baskets, on the fitted items). `rules`: association rules
    mined on the training baskets. Returns one row per method x protocol (empty when nobody is
    held out) and each one's hits per evaluated customer."""
    if test_counts.empty or fit_counts.empty:
        return pd.DataFrame(), {}
    train = interactions_from_counts(fit_counts)
    # Items not fitted on (first bought after the cutoff, only by customers left out of the fit,
    # or beyond the item cap) cannot be recommended: they count as misses. They follow the
    # fitted items on the axis.
    unfitted = np.setdiff1d(
        np.union1d(test_counts["item_key"].unique(), history_counts["item_key"].unique()), train.items
    )
    axis = np.concatenate([train.items, unfitted])
    test = interactions_from_counts(test_counts, items=axis)
    # Every held-out customer has training lines, so the same rows here as in `test`.
    history_all = interactions_from_counts(history_counts, items=axis)
    fitted_items = len(train.items)
    scored = Interactions(history_all.matrix[:, :fitted_items].tocsr(), history_all.customers, train.items)
    history = scored.binary
    truth_all = test.binary
    truth_new = (truth_all - truth_all.multiply(history_all.binary)).tocsr()
    truth_new.eliminate_zeros()
    n_scored = len(test.customers)
    results = []
    customer_hits: dict[tuple[str, str], np.ndarray] = {}
    for method in methods:
        with (
            single_threaded(),
            timed_step(
                "recommendation_metrics", "{}: fit on {} customers x {} items".format(method, *train.matrix.shape)
            ),
        ):
            scorer = Scorer(fit_recommender(method, train, rules, n_components, seed), scored)
        for protocol in PROTOCOLS:
            if method == BUY_AGAIN and protocol == NEW_ITEMS:
                continue
            truth = truth_all if protocol == ALL_ITEMS else truth_new
            has_truth = np.diff(truth.indptr) > 0
            hit_counts = np.zeros(n_scored, dtype=int)
            recommended: set[int] = set()
            for batch in batches(n_scored, fitted_items):
                batch = batch[has_truth[batch]]
                exclude = history[batch] if protocol == NEW_ITEMS else None
                with single_threaded():
                    top, _ = top_k(scorer.scores(batch), k, exclude)
                found = np.asarray(truth[batch][np.arange(len(batch))[:, None], top].todense())
                hit_counts[batch] = found.sum(axis=1)
                recommended.update(np.unique(top).tolist())
            customers = int(has_truth.sum())
            if customers == 0:
                continue
            hit_counts = hit_counts[has_truth]
            customer_hits[(method, protocol)] = hit_counts > 0
            results.append(
                {
                    "method": method,
                    "protocol": protocol,
                    "evaluated_customers": customers,
                    "hit_rate_at_k": float(np.mean(hit_counts > 0)),
                    "precision_at_k": float(hit_counts.sum()) / (k * customers),
                    "recall_at_k": float(hit_counts.sum()) / int(truth[has_truth].sum()),
                    "coverage": len(recommended) / len(train.items),
                    "catalogue_items": len(train.items),
                }
            )
    table = pd.DataFrame(results)
    if not table.empty:
        table.insert(2, "k", k)
    return table, customer_hits


def compare_with_baselines(
    metrics: pd.DataFrame, customer_hits: dict[tuple[str, str], np.ndarray], seed: int
) -> pd.DataFrame:
    """Adds per row: is_baseline; best_baseline (the baseline of highest hit rate in the
    protocol, popularity on ties); hit_rate_vs_popularity and hit_rate_vs_best_baseline (hit
    rate gains); the seeded paired bootstrap 95% interval of the gain over the best baseline
    (hit_rate_gain_lower_95 / _upper_95); beats_best_baseline (the interval above 0); and
    verdict: 'baseline', 'better than X' or 'not better than X'."""
    frames = []
    for protocol, rows in metrics.groupby("protocol", sort=False):
        rows = rows.copy()
        hit_rate = rows.set_index("method")["hit_rate_at_k"]
        baselines = [name for name in BASELINES if name in hit_rate.index]
        best = max(baselines, key=lambda name: (hit_rate[name], -BASELINES.index(name)))
        rows["is_baseline"] = rows["method"].isin(BASELINES)
        rows["best_baseline"] = best
        rows["hit_rate_vs_popularity"] = rows["hit_rate_at_k"] - hit_rate[POPULARITY]
        rows["hit_rate_vs_best_baseline"] = rows["hit_rate_at_k"] - hit_rate[best]
        intervals = [
            paired_gain_interval(customer_hits[(method, protocol)], customer_hits[(best, protocol)], seed)
            for method in rows["method"]
        ]
        rows["hit_rate_gain_lower_95"] = [low for low, _ in intervals]
        rows["hit_rate_gain_upper_95"] = [high for _, high in intervals]
        rows["beats_best_baseline"] = (rows["method"] != best) & (rows["hit_rate_gain_lower_95"] > 0)
        rows["verdict"] = np.where(
            rows["method"] == best,
            "baseline",
            np.where(rows["beats_best_baseline"], f"better than {best}", f"not better than {best}"),
        )
        frames.append(rows)
    return pd.concat(frames, ignore_index=True)
