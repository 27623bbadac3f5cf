"""Product recommendations from purchase history (implicit feedback): association rules on
baskets, item-item collaborative filtering, truncated-SVD matrix factorisation, item2vec
embeddings (item2vec.py, PyTorch; NEURAL_METHODS, left out with var ml_neural false), and two
baselines, popularity and buy-again (the customer's own items, most often bought first), the
top-k ranking and the recommendations of a list of customers.

Items are ordered by popularity (distinct customers, then key) everywhere, so every ranking
breaks ties, zero scores included, towards the more popular item, and the popularity
baseline is simply the first columns. Plain pandas / scipy in and out: no per-store policy
(policy.py) and no warehouse I/O (tables.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD

POPULARITY = "popularity"
BUY_AGAIN = "buy_again"
ITEM2VEC = "item2vec"
METHODS = (POPULARITY, BUY_AGAIN, "association_rules", "item_item_cf", "svd", ITEM2VEC)
NEURAL_METHODS = (ITEM2VEC,)
SCORE_DIGITS = 10
BATCH_CELLS = 4_000_000
# SVD rank: at most one component per this many items.
ITEMS_PER_COMPONENT = 10


@dataclass(frozen=True)
class Interactions:
    """Customer x item matrix: cell = number of baskets of the customer with the item.
    Items are in popularity order (distinct customers descending, then key)."""

    matrix: sparse.csr_matrix
    customers: np.ndarray
    items: np.ndarray

    @property
    def binary(self) -> sparse.csr_matrix:
        binary = self.matrix.copy()
        binary.data[:] = 1.0
        return binary


def interactions_from_counts(
    counts: pd.DataFrame, items: np.ndarray | None = None, customers: np.ndarray | None = None
) -> Interactions:
    """Interactions of baskets per customer and item (columns customer_key, item_key,
    baskets). With `items` given, the item axis is that (other items are dropped); otherwise
    the items of `counts` in popularity order. With `customers` given (sorted, distinct), the
    customer axis is that (other customers are dropped, one without counts has an empty row);
    otherwise the customers of `counts`, sorted."""
    if customers is None:
        customers = np.sort(counts["customer_key"].unique())
    else:
        counts = counts[counts["customer_key"].isin(customers)]
    if items is None:
        popularity = counts.groupby("item_key").size().rename("customers").reset_index()
        popularity = popularity.sort_values(["customers", "item_key"], ascending=[False, True], kind="stable")
        items = popularity["item_key"].to_numpy()
    item_index = pd.Index(items)
    counts = counts[counts["item_key"].isin(item_index)]
    rows = np.searchsorted(customers, counts["customer_key"].to_numpy())
    columns = item_index.get_indexer(counts["item_key"])
    matrix = sparse.csr_matrix(
        (counts["baskets"].to_numpy(dtype=np.float64), (rows, columns)), shape=(len(customers), len(items))
    )
    return Interactions(matrix, customers, np.asarray(items))


def item_item_similarity(binary: sparse.csr_matrix) -> sparse.csr_matrix:
    """Cosine similarity of the item columns of a binary customer x item matrix
    (co-buyers / sqrt(buyers_i x buyers_j)), zero on the diagonal."""
    co_buyers = (binary.T @ binary).tocsr().astype(np.float64)
    buyers = np.sqrt(np.asarray(co_buyers.diagonal()).ravel())
    buyers[buyers == 0] = 1.0
    inverse = sparse.diags(1.0 / buyers)
    similarity = (inverse @ co_buyers @ inverse).tocsr()
    similarity.setdiag(0.0)
    similarity.eliminate_zeros()
    return similarity


RULE_COLUMNS = [
    "antecedent_key",
    "consequent_key",
    "pair_baskets",
    "antecedent_baskets",
    "consequent_baskets",
    "support",
    "confidence",
    "lift",
]


def pair_threshold(n_baskets: int, min_support: float, min_pair_baskets: int) -> int:
    """Baskets a pair of items must share to give rules."""
    return max(min_pair_baskets, int(np.ceil(min_support * n_baskets)))


def rules_from_counts(
    pair_counts: pd.DataFrame, item_baskets: pd.Series, n_baskets: int, max_consequents: int
) -> pd.DataFrame:
    """Rules from the item pairs kept (columns first_key, second_key, pair_baskets: each
    unordered pair once), the baskets of each item (item_key -> baskets) and the number of
    baskets: support = share of baskets with both, confidence = P(consequent | antecedent),
    lift = confidence / P(consequent); per antecedent the max_consequents rules of highest
    lift (then confidence, key)."""
    if pair_counts.empty:
        return pd.DataFrame(columns=RULE_COLUMNS)
    # Each unordered pair gives two rules.
    antecedent = np.concatenate([pair_counts["first_key"].to_numpy(), pair_counts["second_key"].to_numpy()])
    consequent = np.concatenate([pair_counts["second_key"].to_numpy(), pair_counts["first_key"].to_numpy()])
    together = np.tile(pair_counts["pair_baskets"].to_numpy(dtype=np.int64), 2)
    rules = pd.DataFrame(
        {
            "antecedent_key": antecedent,
            "consequent_key": consequent,
            "pair_baskets": together,
            "antecedent_baskets": item_baskets.reindex(antecedent).to_numpy(dtype=np.int64),
            "consequent_baskets": item_baskets.reindex(consequent).to_numpy(dtype=np.int64),
        }
    )
    rules["support"] = rules["pair_baskets"] / n_baskets
    rules["confidence"] = rules["pair_baskets"] / rules["antecedent_baskets"]
    rules["lift"] = rules["confidence"] / (rules["consequent_baskets"] / n_baskets)
    rules = rules.sort_values(
        ["antecedent_key", "lift", "confidence", "consequent_key"],
        ascending=[True, False, False, True],
        kind="stable",
    )
    rules = rules.groupby("antecedent_key", sort=False).head(max_consequents)
    return rules.reset_index(drop=True)[RULE_COLUMNS]


def confidence_matrix(rules: pd.DataFrame, items: np.ndarray) -> sparse.csr_matrix:
    """Item x item matrix of rule confidences (antecedent row, consequent column)."""
    index = pd.Index(items)
    rows = index.get_indexer(rules["antecedent_key"])
    columns = index.get_indexer(rules["consequent_key"])
    known = (rows >= 0) & (columns >= 0)
    return sparse.csr_matrix(
        (rules["confidence"].to_numpy(dtype=float)[known], (rows[known], columns[known])),
        shape=(len(items), len(items)),
    )


@dataclass(frozen=True)
class FittedRecommender:
    """A recommender's fitted state: what it learnt about the items, never about customers (a
    customer is scored from their history as it is when scored, on this item axis). items: the
    item axis, in popularity order at the fit (ties and fill-ins follow it; an item first bought
    after the fit is not on it); item_share: the share of the training customers who bought each
    item (popularity, and item2vec's weight). Per method: item_matrix, the item x item rule
    confidences (association_rules) or cosine similarities (item_item_cf); item_factors, the
    truncated SVD's components (components x items; svd); item_vectors, item2vec's (items x
    dimensions). Popularity and buy-again have no more state than the axis and shares."""

    method: str
    items: np.ndarray
    item_share: np.ndarray
    item_matrix: sparse.csr_matrix | None = None
    item_factors: np.ndarray | None = None
    item_vectors: np.ndarray | None = None


def fit_recommender(
    method: str, train: Interactions, rules: pd.DataFrame | None, n_components: int, seed: int
) -> FittedRecommender:
    """The fitted state of `method` on the training interactions (rules: the association rules
    of the training baskets, read by association_rules only)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method}")
    binary = train.binary
    n_customers, n_items = train.matrix.shape
    share = np.asarray(binary.sum(axis=0)).ravel() / max(n_customers, 1)
    state = {}
    if method == "item_item_cf":
        state["item_matrix"] = item_item_similarity(binary)
    elif method == "association_rules":
        state["item_matrix"] = confidence_matrix(rules, train.items)
    elif method == "svd":
        components = min(n_components, n_items // ITEMS_PER_COMPONENT, n_items - 1, n_customers - 1)
        state["item_factors"] = np.zeros((0, n_items))
        if components >= 1:
            svd = TruncatedSVD(n_components=components, algorithm="randomized", random_state=seed)
            svd.fit(svd_weights(train.matrix))
            state["item_factors"] = svd.components_
    elif method == ITEM2VEC:
        from retail_warehouse.ml.recommendations.item2vec import item2vec_factors

        state["item_vectors"] = item2vec_factors(binary, seed)
    return FittedRecommender(method, np.asarray(train.items), share, **state)


def svd_weights(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    """log(1 + baskets): repeat buys count, but sublinearly, so wholesalers do not dominate."""
    weighted = matrix.copy()
    weighted.data = np.log1p(weighted.data)
    return weighted


class Scorer:
    """Scores of every item of a fitted recommender for given customers: rows of `history`,
    the customers' baskets per item on the fitted item axis (interactions_from_counts with
    items=fitted.items)."""

    def __init__(self, fitted: FittedRecommender, history: Interactions):
        if not np.array_equal(history.items, fitted.items):
            raise ValueError("the history is not on the fitted item axis")
        self.method = fitted.method
        self.binary = history.binary
        self.baskets = history.matrix
        self.item_share = fitted.item_share
        self.item_matrix = fitted.item_matrix
        self.item_factors = fitted.item_factors
        self.item_vectors = fitted.item_vectors
        if self.method == "svd":
            self.weighted = svd_weights(history.matrix)

    def scores(self, rows: np.ndarray) -> np.ndarray:
        n_items = self.binary.shape[1]
        if self.method == POPULARITY:
            # Share of the training customers who bought the item; non-increasing over the columns.
            return np.tile(self.item_share, (len(rows), 1))
        if self.method == BUY_AGAIN:
            # Baskets of the customer with the item; ties and the rest by popularity (top_k).
            return self.baskets[rows].toarray()
        if self.method == ITEM2VEC:
            # Sum over the customer's items i of exp(u_i . u_j) x share_j (item2vec.py).
            history = self.binary[rows]
            items = np.unique(history.indices)
            affinity = np.exp(self.item_vectors[items] @ self.item_vectors.T)
            return np.asarray(history[:, items] @ affinity) * self.item_share
        if self.method == "svd":
            if self.item_factors.shape[0] == 0:
                return np.zeros((len(rows), n_items))
            latent = self.weighted[rows] @ self.item_factors.T
            return latent @ self.item_factors
        return (self.binary[rows] @ self.item_matrix).toarray()

    def explain(self, row: int, items: np.ndarray) -> list[int | None]:
        """For each of `items`, the customer's item that contributed most to its score (the
        scores are sums over the customer's items: of similarities, confidences, item2vec
        affinities, or for svd of weight x factor products); None for popularity or when nothing contributed."""
        history = self.binary[row].indices
        if self.method in (POPULARITY, BUY_AGAIN) or history.size == 0:
            return [None] * len(items)
        if self.method == ITEM2VEC:
            contributions = np.exp(self.item_vectors[history] @ self.item_vectors[items].T) * self.item_share[items]
        elif self.method == "svd":
            weights = self.weighted[row, history].toarray().ravel()
            factors = self.item_factors
            if factors.shape[0] == 0:
                return [None] * len(items)
            contributions = weights[:, None] * (factors[:, history].T @ factors[:, items])
        else:
            contributions = self.item_matrix[history][:, items].toarray()
        best = np.argmax(contributions, axis=0)
        return [
            int(history[best[position]]) if contributions[best[position], position] > 0 else None
            for position in range(len(items))
        ]


def top_k(scores: np.ndarray, k: int, exclude: sparse.csr_matrix | None) -> tuple[np.ndarray, np.ndarray]:
    """Top-k item columns and their scores per row, highest first; ties (scores rounded to
    SCORE_DIGITS so float noise cannot reorder them) go to the lower column, the more popular
    item. Items in `exclude` (same shape, non-zero = excluded) score -inf and come last.

    Fast on wide rows with many equal scores: the k-th best score among the first
    k + (excluded in the row) columns bounds the k-th best of the row from below, so only
    the columns above that bound and the ties at it within those first columns compete."""
    scores = np.round(np.asarray(scores, dtype=float), SCORE_DIGITS)
    if exclude is not None:
        excluded = exclude.tocoo()
        scores[excluded.row, excluded.col] = -np.inf
    n_rows, n_items = scores.shape
    k = min(k, n_items)
    if k == 0 or n_rows == 0:
        return np.zeros((n_rows, 0), dtype=int), np.zeros((n_rows, 0))
    excluded_per_row = np.isneginf(scores).sum(axis=1)
    head = scores[:, : min(n_items, k + int(excluded_per_row.max()))]
    bound = -np.partition(-head, k - 1, axis=1)[:, k - 1]
    rows, above = np.nonzero(scores > bound[:, None])
    starts = np.searchsorted(rows, np.arange(n_rows + 1))
    columns = np.empty((n_rows, k), dtype=np.int64)
    for row in range(n_rows):
        candidates = above[starts[row] : starts[row + 1]]
        if len(candidates) < k:
            ties = np.flatnonzero(head[row] == bound[row])[: k - len(candidates)]
            candidates = np.concatenate([candidates, ties])
        columns[row] = candidates[np.lexsort((candidates, -scores[row, candidates]))[:k]]
    return columns, np.take_along_axis(scores, columns, axis=1)


def batches(n_rows: int, n_items: int):
    size = max(1, BATCH_CELLS // max(n_items, 1))
    for start in range(0, n_rows, size):
        yield np.arange(start, min(start + size, n_rows))


def recommend(fitted: FittedRecommender, counts: pd.DataFrame, customers: np.ndarray, k: int) -> pd.DataFrame:
    """Top-k new items (never bought by the customer) for each of `customers` by a fitted
    recommender, from their baskets per customer and item `counts` (customer_key, item_key,
    baskets) as they are now, on the fitted item axis (an item not on it is neither scored nor
    recommended); items the method cannot score (score 0, also every item of a customer
    without history) are filled in popularity order. Columns customer_key,
    recommendation_rank, item_key, score, basis_item_key (the customer's item behind the
    score; none for popularity) and source (method, or popularity for fill-ins)."""
    columns = ["customer_key", "recommendation_rank", "item_key", "score", "basis_item_key", "source"]
    customers = np.asarray(customers, dtype=object)
    if len(customers) == 0 or len(fitted.items) == 0:
        return pd.DataFrame(columns=columns)
    method = fitted.method
    # One row per customer asked for (empty without counts): memory follows `customers`, not `counts`.
    history = interactions_from_counts(counts, items=fitted.items, customers=np.unique(customers))
    scorer = Scorer(fitted, history)
    rows = np.searchsorted(history.customers, customers)
    has_history = np.isin(customers, counts["customer_key"].to_numpy())
    frames = []
    n_items = history.matrix.shape[1]
    for batch in batches(len(customers), n_items):
        batch_rows = rows[batch]
        scores = scorer.scores(batch_rows)
        scores[~has_history[batch]] = 0.0
        exclude = (sparse.diags(has_history[batch].astype(float)) @ history.binary[batch_rows]).tocsr()
        exclude.eliminate_zeros()
        top, top_scores = top_k(scores, k, exclude)
        scored = top_scores > 0
        basis = np.full(top.shape, -1)
        for position in np.flatnonzero(has_history[batch] & scored.any(axis=1)):
            explained = scorer.explain(batch_rows[position], top[position])
            basis[position] = [-1 if item is None else item for item in explained]
        frame = pd.DataFrame(
            {
                "customer_key": np.repeat(customers[batch], top.shape[1]),
                "recommendation_rank": np.tile(np.arange(1, top.shape[1] + 1), len(batch)),
                "item_key": history.items[top.ravel()],
                "score": np.where(scored, top_scores, 0.0).ravel(),
                "basis_item_key": np.where((basis >= 0) & scored, history.items[np.maximum(basis, 0)], None).ravel(),
                "source": np.where(scored, method, "popularity").ravel(),
            }
        )
        frames.append(frame[np.isfinite(top_scores.ravel())])
    return pd.concat(frames, ignore_index=True)[columns]
