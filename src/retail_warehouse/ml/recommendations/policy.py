"""The per-store policy of the recommendations: what an item is (a product, or a category),
which method serves, the settings of each method, and who is an active customer."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class StoreSettings:
    """item_level: 'product' or 'category'. serving_method: the method behind
    ml.product_recommendations, the one with the best new-items hit rate@10 on the real
    evaluation split by date (chosen on that evaluation, so its figures are slightly
    optimistic), served only where it beats the popularity baseline with a 95% interval.

    Online Retail: truncated SVD at product level. Olist: about 97% of its customers buy once
    and its 32k products share few buyers, so it is recommended by category, and there no
    personalised method beats popularity on the repeat customers' later purchases: Olist gets
    the most popular categories the customer has not bought (recommendation_metrics also
    reports the product level, for the record)."""

    item_level: str
    evaluation_levels: tuple[str, ...]
    serving_method: str
    min_support: float
    min_pair_baskets: int
    max_consequents: int = 20
    # SVD rank: at most this, and at most one component per ITEMS_PER_COMPONENT items.
    n_components: int = 48
    # The evaluation holds out the baskets of the last holdout_days days up to the data end.
    holdout_days: int = 90


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


def item_names(products: pd.DataFrame, item_level: str) -> pd.Series:
    """item_key -> the name its reason text shows: the product description (its key when it
    has none) or the category itself (columns of marts.dim_products)."""
    if item_level == "product":
        return products.set_index("product_key")["product_name"].fillna(
            products.set_index("product_key").index.to_series()
        )
    if item_level == "category":
        categories = pd.Index(products["category_name_english"].dropna().unique()).append(pd.Index([NO_CATEGORY]))
        return pd.Series(categories, index=categories)
    raise ValueError(f"unknown item level {item_level}")
