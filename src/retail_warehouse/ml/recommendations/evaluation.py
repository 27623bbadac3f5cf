"""Leave-last-basket-out evaluation of the recommenders (algorithms.py): every customer with
two baskets or more is scored on the items of their last basket, the recommenders having
learnt from everything before it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse

from retail_warehouse.ml.recommendations.algorithms import (
    METHODS,
    Scorer,
    association_rules,
    batches,
    build_interactions,
    top_k,
)

# all: any product may be recommended, also one bought before (repeat purchases are most of
# what a wholesaler's customers buy); new_items: only products the customer never bought,
# scored on the held-out products that are new to them.
PROTOCOLS = ("all_items", "new_items")


def split_last_basket(lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Training lines and the held-out last basket (latest ordered_at, then basket_key) of
    every customer with at least two baskets; customers with one basket stay in training."""
    baskets = lines[["customer_key", "basket_key", "ordered_at"]].drop_duplicates(["customer_key", "basket_key"])
    baskets = baskets.sort_values(["customer_key", "ordered_at", "basket_key"], kind="stable")
    baskets["basket_count"] = baskets.groupby("customer_key")["basket_key"].transform("size")
    last = baskets[baskets["basket_count"] >= 2].groupby("customer_key").tail(1)
    held_out = lines["basket_key"].isin(last["basket_key"])
    return lines[~held_out], lines[held_out]


def evaluate_holdout(
    lines: pd.DataFrame,
    baskets: pd.DataFrame,
    k: int,
    rule_settings: dict,
    n_components: int,
    seed: int,
) -> pd.DataFrame:
    """Leave-last-basket-out evaluation of every method under both PROTOCOLS: hit rate@k
    (share of evaluated customers with at least one held-out item in their top k),
    precision@k (held-out items in the top k / k), recall@k and catalogue coverage (distinct
    items recommended / items in training). Held-out items that never occur in training
    count as misses. Rules are mined on `baskets` without the held-out baskets. One row per
    method x protocol; empty when no customer has two baskets."""
    train_lines, test_lines = split_last_basket(lines)
    if test_lines.empty or train_lines.empty:
        return pd.DataFrame()
    train = build_interactions(train_lines)
    # Items first bought in a held-out basket cannot be recommended: they count as misses.
    unseen = np.setdiff1d(test_lines["item_key"].unique(), train.items)
    test = build_interactions(test_lines, items=np.concatenate([train.items, unseen]))
    # Every held-out customer has earlier baskets, so a row in the training matrix.
    train_rows = np.searchsorted(train.customers, test.customers)
    history = train.binary[train_rows]
    truth_all = test.binary
    padded_history = sparse.hstack([history, sparse.csr_matrix((len(train_rows), len(unseen)))]).tocsr()
    truth_new = (truth_all - truth_all.multiply(padded_history)).tocsr()
    truth_new.eliminate_zeros()
    rules = association_rules(baskets[~baskets["basket_key"].isin(test_lines["basket_key"])], **rule_settings)
    results = []
    for method in METHODS:
        scorer = Scorer(method, train, rules, n_components, seed)
        for protocol in PROTOCOLS:
            truth = truth_all if protocol == "all_items" else truth_new
            has_truth = np.diff(truth.indptr) > 0
            hits = hit_items = 0
            recommended: set[int] = set()
            for batch in batches(len(train_rows), train.matrix.shape[1]):
                batch = batch[has_truth[batch]]
                if batch.size == 0:
                    continue
                exclude = history[batch] if protocol == "new_items" else None
                top, _ = top_k(scorer.scores(train_rows[batch]), k, exclude)
                found = np.asarray(truth[batch][np.arange(len(batch))[:, None], top].todense())
                hits += int((found.sum(axis=1) > 0).sum())
                hit_items += int(found.sum())
                recommended.update(np.unique(top).tolist())
            customers = int(has_truth.sum())
            if customers == 0:
                continue
            relevant = int(truth[has_truth].sum())
            results.append(
                {
                    "method": method,
                    "protocol": protocol,
                    "evaluated_customers": customers,
                    "hit_rate_at_k": hits / customers,
                    "precision_at_k": hit_items / (k * customers),
                    "recall_at_k": hit_items / relevant,
                    "coverage": len(recommended) / len(train.items),
                    "catalogue_items": len(train.items),
                }
            )
    table = pd.DataFrame(results)
    table.insert(2, "k", k)
    return table
