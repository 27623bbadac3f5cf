"""Product recommendations from purchase history (implicit feedback): association rules on
baskets, item-item collaborative filtering, truncated-SVD matrix factorisation and a
popularity baseline, with a leave-last-basket-out evaluation.

Items are ordered by popularity (distinct customers, then key) everywhere, so every ranking
breaks ties, zero scores included, towards the more popular item, and the popularity
baseline is simply the first columns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.decomposition import TruncatedSVD

METHODS = ("popularity", "association_rules", "item_item_cf", "svd")
# all: any product may be recommended, also one bought before (repeat purchases are most of
# what a wholesaler's customers buy); new_items: only products the customer never bought,
# scored on the held-out products that are new to them.
PROTOCOLS = ("all_items", "new_items")
SCORE_DIGITS = 10
BATCH_CELLS = 4_000_000


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


def build_interactions(lines: pd.DataFrame, items: np.ndarray | None = None) -> Interactions:
    """Interactions of `lines` (columns customer_key, basket_key, item_key). With `items`
    given, the item axis is that (lines of other items are dropped); otherwise the items of
    lines in popularity order."""
    pairs = lines[["customer_key", "basket_key", "item_key"]].drop_duplicates()
    counts = pairs.groupby(["customer_key", "item_key"], sort=True).size().rename("baskets").reset_index()
    if items is None:
        popularity = counts.groupby("item_key").size().rename("customers").reset_index()
        popularity = popularity.sort_values(["customers", "item_key"], ascending=[False, True], kind="stable")
        items = popularity["item_key"].to_numpy()
    customers = np.sort(counts["customer_key"].unique())
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


def association_rules(
    baskets: pd.DataFrame, min_support: float, min_pair_baskets: int, max_consequents: int
) -> pd.DataFrame:
    """Rules antecedent -> consequent between pairs of items bought in the same basket
    (columns basket_key, item_key): support = share of baskets with both, confidence =
    P(consequent | antecedent), lift = confidence / P(consequent). A pair is kept when it is
    in at least max(min_pair_baskets, min_support x baskets) baskets; per antecedent the
    max_consequents rules of highest lift (then confidence, key)."""
    columns = [
        "antecedent_key",
        "consequent_key",
        "pair_baskets",
        "antecedent_baskets",
        "consequent_baskets",
        "support",
        "confidence",
        "lift",
    ]
    pairs = baskets[["basket_key", "item_key"]].drop_duplicates()
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    basket_codes, basket_keys = pd.factorize(pairs["basket_key"], sort=True)
    item_codes, item_keys = pd.factorize(pairs["item_key"], sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(len(pairs)), (basket_codes, item_codes)), shape=(len(basket_keys), len(item_keys))
    )
    co_baskets = sparse.triu((matrix.T @ matrix).tocsr(), k=1).tocoo()
    item_baskets = np.asarray(matrix.sum(axis=0)).ravel()
    threshold = max(min_pair_baskets, int(np.ceil(min_support * len(basket_keys))))
    keep = co_baskets.data >= threshold
    first, second, together = co_baskets.row[keep], co_baskets.col[keep], co_baskets.data[keep]
    # Each unordered pair gives two rules.
    antecedent = np.concatenate([first, second])
    consequent = np.concatenate([second, first])
    together = np.concatenate([together, together])
    n_baskets = len(basket_keys)
    rules = pd.DataFrame(
        {
            "antecedent_key": item_keys[antecedent],
            "consequent_key": item_keys[consequent],
            "pair_baskets": together.astype(int),
            "antecedent_baskets": item_baskets[antecedent].astype(int),
            "consequent_baskets": item_baskets[consequent].astype(int),
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
    return rules.reset_index(drop=True)[columns]


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


class Scorer:
    """Scores of every item for given customers (rows of the training matrix), one method."""

    def __init__(self, method: str, train: Interactions, rules: pd.DataFrame | None, n_components: int, seed: int):
        if method not in METHODS:
            raise ValueError(f"unknown method {method}")
        self.method = method
        self.binary = train.binary
        n_customers, n_items = train.matrix.shape
        if method == "item_item_cf":
            self.item_matrix = item_item_similarity(self.binary)
        elif method == "association_rules":
            self.item_matrix = confidence_matrix(rules, train.items)
        elif method == "svd":
            # log(1 + baskets): repeat buys count, but sublinearly, so wholesalers do not dominate.
            self.weighted = train.matrix.copy()
            self.weighted.data = np.log1p(self.weighted.data)
            components = min(n_components, n_items // ITEMS_PER_COMPONENT, n_items - 1, n_customers - 1)
            if components < 1:
                self.item_factors = np.zeros((0, n_items))
            else:
                svd = TruncatedSVD(n_components=components, algorithm="randomized", random_state=seed)
                svd.fit(self.weighted)
                self.item_factors = svd.components_

    def scores(self, rows: np.ndarray) -> np.ndarray:
        n_items = self.binary.shape[1]
        if self.method == "popularity":
            # Share of customers who bought the item; non-increasing over the columns.
            share = np.asarray(self.binary.sum(axis=0)).ravel() / max(self.binary.shape[0], 1)
            return np.tile(share, (len(rows), 1))
        if self.method == "svd":
            if self.item_factors.shape[0] == 0:
                return np.zeros((len(rows), n_items))
            latent = self.weighted[rows] @ self.item_factors.T
            return latent @ self.item_factors
        return (self.binary[rows] @ self.item_matrix).toarray()

    def explain(self, row: int, items: np.ndarray) -> list[int | None]:
        """For each of `items`, the customer's item that contributed most to its score (the
        scores are sums over the customer's items: of similarities, confidences, or for svd
        of weight x factor products); None for popularity or when nothing contributed."""
        history = self.binary[row].indices
        if self.method == "popularity" or history.size == 0:
            return [None] * len(items)
        if self.method == "svd":
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


def _batches(n_rows: int, n_items: int):
    size = max(1, BATCH_CELLS // max(n_items, 1))
    for start in range(0, n_rows, size):
        yield np.arange(start, min(start + size, n_rows))


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
            for batch in _batches(len(train_rows), train.matrix.shape[1]):
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


def recommend(
    lines: pd.DataFrame,
    customers: np.ndarray,
    method: str,
    k: int,
    rules: pd.DataFrame,
    n_components: int,
    seed: int,
) -> pd.DataFrame:
    """Top-k new items (never bought by the customer) for each of `customers`, from all of
    `lines`, by `method`; items the method cannot score (score 0, also every item of a
    customer without history) are filled in popularity order. Columns customer_key,
    recommendation_rank, item_key, score, basis_item_key (the customer's item behind the
    score; none for popularity) and source (method, or popularity for
    fill-ins)."""
    columns = ["customer_key", "recommendation_rank", "item_key", "score", "basis_item_key", "source"]
    if lines.empty or len(customers) == 0:
        return pd.DataFrame(columns=columns)
    train = build_interactions(lines)
    scorer = Scorer(method, train, rules, n_components, seed)
    rows = np.searchsorted(train.customers, customers)
    rows = np.minimum(rows, len(train.customers) - 1)
    has_history = train.customers[rows] == customers
    frames = []
    n_items = train.matrix.shape[1]
    for batch in _batches(len(customers), n_items):
        batch_rows = rows[batch]
        scores = scorer.scores(batch_rows)
        scores[~has_history[batch]] = 0.0
        exclude = (sparse.diags(has_history[batch].astype(float)) @ train.binary[batch_rows]).tocsr()
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
                "item_key": train.items[top.ravel()],
                "score": np.where(scored, top_scores, 0.0).ravel(),
                "basis_item_key": np.where((basis >= 0) & scored, train.items[np.maximum(basis, 0)], None).ravel(),
                "source": np.where(scored, method, "popularity").ravel(),
            }
        )
        frames.append(frame[np.isfinite(top_scores.ravel())])
    return pd.concat(frames, ignore_index=True)[columns]


# --- Per store: what an item is, and the settings of each method ------------------------------


@dataclass(frozen=True)
class StoreSettings:
    """item_level: 'product' or 'category'. serving_method: the method behind
    ml.product_recommendations, the one with the best new-items hit rate@10 on the real
    holdout (chosen on that evaluation, so its figures are slightly optimistic).

    Online Retail: truncated SVD at product level. Olist: about 97% of its customers buy once
    and its 32k products share few buyers, so it is recommended by category, and there no
    personalised method beat popularity on the repeat customers' next basket: Olist gets the
    most popular categories the customer has not bought (recommendation_metrics also reports
    the product level, for the record)."""

    item_level: str
    evaluation_levels: tuple[str, ...]
    serving_method: str
    min_support: float
    min_pair_baskets: int
    max_consequents: int = 20
    # SVD rank: at most this, and at most one component per ITEMS_PER_COMPONENT items.
    n_components: int = 48


ITEMS_PER_COMPONENT = 10
STORE_SETTINGS = {
    "online_retail": StoreSettings("product", ("product",), "svd", min_support=0.005, min_pair_baskets=5),
    # Rank 16 for Olist: few of its customers have more than one item, so there is little
    # structure to capture, and the product-level fit on 93k x 32k is the costly step.
    "olist": StoreSettings(
        "category", ("category", "product"), "popularity", min_support=0.0, min_pair_baskets=5, n_components=16
    ),
}
DEFAULT_SETTINGS = STORE_SETTINGS["online_retail"]
RECOMMENDATIONS_PER_CUSTOMER = 10
# An active customer ordered within this many days of the store's as-of date (the day after
# its last order): 180 days is about two buying seasons of a gift wholesaler.
ACTIVE_WITHIN_DAYS = 180
NO_CATEGORY = "(no category)"


def settings_for(store: str) -> StoreSettings:
    return STORE_SETTINGS.get(store, DEFAULT_SETTINGS)


def item_lines(lines: pd.DataFrame, products: pd.DataFrame, item_level: str) -> pd.DataFrame:
    """Sale product lines (columns order_key, customer_key, ordered_at, product_key) as
    recommendation input: basket_key = order, item_key = product_key or the product's English
    category (NO_CATEGORY when it has none), item_name for the reason text."""
    frame = lines.rename(columns={"order_key": "basket_key"})
    if item_level == "product":
        names = products.set_index("product_key")["product_name"]
        frame = frame.assign(item_key=frame["product_key"])
        frame["item_name"] = frame["product_key"].map(names).fillna(frame["product_key"])
    elif item_level == "category":
        categories = products.set_index("product_key")["category_name_english"]
        category = frame["product_key"].map(categories).fillna(NO_CATEGORY)
        frame = frame.assign(item_key=category, item_name=category)
    else:
        raise ValueError(f"unknown item level {item_level}")
    return frame[["customer_key", "basket_key", "ordered_at", "item_key", "item_name"]]


def store_associations(lines: pd.DataFrame, products: pd.DataFrame, store: str) -> pd.DataFrame:
    """ml.product_associations rows of one store (every sale basket, with or without a
    customer)."""
    settings = settings_for(store)
    items = item_lines(lines, products, settings.item_level)
    rules = association_rules(items, settings.min_support, settings.min_pair_baskets, settings.max_consequents)
    names = items.drop_duplicates("item_key").set_index("item_key")["item_name"]
    rules.insert(0, "store", store)
    rules.insert(1, "item_level", settings.item_level)
    rules["antecedent_name"] = rules["antecedent_key"].map(names)
    rules["consequent_name"] = rules["consequent_key"].map(names)
    rules["rule_rank"] = rules.groupby("antecedent_key").cumcount() + 1
    return rules


def store_metrics(lines: pd.DataFrame, products: pd.DataFrame, store: str, seed: int) -> pd.DataFrame:
    """ml.recommendation_metrics rows of one store: every evaluation level x method x
    protocol, with the lift of hit rate over the popularity baseline of the same protocol."""
    settings = settings_for(store)
    frames = []
    for level in settings.evaluation_levels:
        items = item_lines(lines, products, level)
        metrics = evaluate_holdout(
            items[items["customer_key"].notna()],
            items,
            RECOMMENDATIONS_PER_CUSTOMER,
            {
                "min_support": settings.min_support,
                "min_pair_baskets": settings.min_pair_baskets,
                "max_consequents": settings.max_consequents,
            },
            settings.n_components,
            seed,
        )
        if metrics.empty:
            continue
        baseline = metrics[metrics["method"] == "popularity"].set_index("protocol")["hit_rate_at_k"]
        metrics["hit_rate_vs_popularity"] = metrics["hit_rate_at_k"] - metrics["protocol"].map(baseline)
        metrics.insert(0, "store", store)
        metrics.insert(1, "item_level", level)
        metrics["is_serving_method"] = (metrics["method"] == settings.serving_method) & (level == settings.item_level)
        frames.append(metrics)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def store_recommendations(
    lines: pd.DataFrame, products: pd.DataFrame, active_customers: np.ndarray, store: str, seed: int
) -> pd.DataFrame:
    """ml.product_recommendations rows of one store: top RECOMMENDATIONS_PER_CUSTOMER new
    items per active customer by the store's serving method, popularity filling the rest. At category
    level the row also names the category's best seller (most distinct customers) to show."""
    settings = settings_for(store)
    items = item_lines(lines, products, settings.item_level)
    customer_items = items[items["customer_key"].notna()]
    rules = (
        association_rules(items, settings.min_support, settings.min_pair_baskets, settings.max_consequents)
        if settings.serving_method == "association_rules"
        else None
    )
    table = recommend(
        customer_items,
        np.sort(np.asarray(active_customers, dtype=object)),
        settings.serving_method,
        RECOMMENDATIONS_PER_CUSTOMER,
        rules,
        settings.n_components,
        seed,
    )
    names = items.drop_duplicates("item_key").set_index("item_key")["item_name"]
    table["item_name"] = table["item_key"].map(names)
    basis_names = table["basis_item_key"].map(names)
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
        table["category_name"] = table["item_key"].map(products.set_index("product_key")["category_name_english"])
    else:
        table["category_name"] = table["item_key"]
        table["product_key"] = table["item_key"].map(category_best_sellers(lines, products))
    table.insert(0, "store", store)
    table.insert(1, "item_level", settings.item_level)
    return table


def category_best_sellers(lines: pd.DataFrame, products: pd.DataFrame) -> pd.Series:
    """category -> its product bought by the most distinct customers (ties by key)."""
    category = item_lines(lines, products, "category")["item_key"]
    frame = lines.assign(category=category.to_numpy())
    buyers = frame.groupby(["category", "product_key"]).customer_key.nunique().rename("buyers").reset_index()
    buyers = buyers.sort_values(["category", "buyers", "product_key"], ascending=[True, False, True], kind="stable")
    return buyers.drop_duplicates("category").set_index("category")["product_key"]


# --- Inputs (DuckDB relations of the marts) and output tables ---------------------------------


def load_sale_lines(order_lines) -> pd.DataFrame:
    """Product sale lines of marts.fct_order_lines (postage, fees and cancelled items left
    out), in a stable order."""
    return (
        order_lines.filter("line_type = 'sale' and is_product")
        .project("store, order_key, customer_key, ordered_at, product_key")
        .order("store, order_key, product_key, customer_key")
        .df()
    )


def load_products(dim_products) -> pd.DataFrame:
    return dim_products.project("product_key, product_name, category_name_english").order("product_key").df()


def load_active_customers(customer_features) -> pd.DataFrame:
    """Customers of marts.customer_features with an order within ACTIVE_WITHIN_DAYS."""
    return (
        customer_features.filter(f"recency_days <= {ACTIVE_WITHIN_DAYS}")
        .project("store, customer_key")
        .order("store, customer_key")
        .df()
    )


ASSOCIATIONS_SCHEMA = {
    "store": "string",
    "item_level": "string",
    "antecedent_key": "string",
    "antecedent_name": "string",
    "consequent_key": "string",
    "consequent_name": "string",
    "rule_rank": "Int64",
    "pair_baskets": "Int64",
    "antecedent_baskets": "Int64",
    "consequent_baskets": "Int64",
    "support": "Float64",
    "confidence": "Float64",
    "lift": "Float64",
}
METRICS_SCHEMA = {
    "store": "string",
    "item_level": "string",
    "method": "string",
    "protocol": "string",
    "k": "Int64",
    "evaluated_customers": "Int64",
    "hit_rate_at_k": "Float64",
    "precision_at_k": "Float64",
    "recall_at_k": "Float64",
    "coverage": "Float64",
    "catalogue_items": "Int64",
    "hit_rate_vs_popularity": "Float64",
    "is_serving_method": "boolean",
}
RECOMMENDATIONS_SCHEMA = {
    "store": "string",
    "customer_key": "string",
    "recommendation_rank": "Int64",
    "product_key": "string",
    "item_level": "string",
    "item_key": "string",
    "item_name": "string",
    "category_name": "string",
    "score": "Float64",
    "source": "string",
    "basis_item_key": "string",
    "reason": "string",
}
