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


def category_best_sellers(lines: pd.DataFrame, products: pd.DataFrame) -> pd.Series:
    """category -> its product bought by the most distinct customers (ties by key)."""
    category = item_lines(lines, products, "category")["item_key"]
    frame = lines.assign(category=category.to_numpy())
    buyers = frame.groupby(["category", "product_key"]).customer_key.nunique().rename("buyers").reset_index()
    buyers = buyers.sort_values(["category", "buyers", "product_key"], ascending=[True, False, True], kind="stable")
    return buyers.drop_duplicates("category").set_index("category")["product_key"]
