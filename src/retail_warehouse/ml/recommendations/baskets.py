"""The recommenders' inputs counted in DuckDB from the sale lines, so that pandas holds
customers x items and item pairs, never lines: baskets per customer and item, the
customers held out by the evaluation, the pair counts of the association rules and each
category's best seller.

Every function takes the relation of basket_items (DuckDB relations of the models' session,
or of any connection in tests)."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager

import duckdb
import numpy as np
import pandas as pd

from retail_warehouse.ml.recommendations.algorithms import pair_threshold
from retail_warehouse.ml.recommendations.policy import NO_CATEGORY

ITEM_KEYS = {
    "product": "l.product_key",
    "category": f"coalesce(p.category_name_english, '{NO_CATEGORY}')",
}


def basket_items(
    lines: duckdb.DuckDBPyRelation, products: duckdb.DuckDBPyRelation, item_level: str
) -> duckdb.DuckDBPyRelation:
    """Each item of each sale basket once: store, basket_key (the order), customer_key (null
    for a basket without a customer), order_day, item_key (product_key, or the product's
    English category, NO_CATEGORY without one). `lines` has store, order_key, customer_key,
    ordered_at, product_key; `products` product_key, category_name_english."""
    if item_level not in ITEM_KEYS:
        raise ValueError(f"unknown item level {item_level}")
    joined = lines.set_alias("l").join(products.set_alias("p"), "l.product_key = p.product_key", how="left")
    return joined.select(
        "l.store, l.order_key as basket_key, l.customer_key, cast(l.ordered_at as date) as order_day, "
        f"{ITEM_KEYS[item_level]} as item_key"
    ).distinct()


_temp_tables = itertools.count()


@contextmanager
def materialized(relation: duckdb.DuckDBPyRelation) -> Iterator[duckdb.DuckDBPyRelation]:
    """The relation computed once into a temporary table of its connection (DuckDB memory,
    spilled past its memory limit), dropped on exit: the functions below query it several
    times, and the join and distinct over every line of a lazy relation would run each time."""
    name = f"recommendation_baskets_{os.getpid()}_{next(_temp_tables)}"
    relation.query("source", f"create temp table {name} as select * from source")
    try:
        yield relation.query("source", f"select * from {name}")
    finally:
        relation.query("source", f"drop table if exists {name}")


def store_basket_items(lines: duckdb.DuckDBPyRelation, products: duckdb.DuckDBPyRelation, store: str, item_level: str):
    """materialized(basket_items of one store): use in a with statement."""
    return materialized(basket_items(lines, products, item_level).filter(f"store = {_literal(store)}"))


def _window(store: str, after: dt.date | None, through: dt.date | None) -> str:
    conditions = [f"store = {_literal(store)}"]
    if after is not None:
        conditions.append(f"order_day > date '{after.isoformat()}'")
    if through is not None:
        conditions.append(f"order_day <= date '{through.isoformat()}'")
    return " and ".join(conditions)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def customer_item_counts(
    baskets: duckdb.DuckDBPyRelation, store: str, after: dt.date | None = None, through: dt.date | None = None
) -> pd.DataFrame:
    """Baskets per customer and item (customer_key, item_key, baskets) of the store's baskets
    with a customer ordered after `after` and on or before `through` (None: no bound)."""
    return baskets.query(
        "baskets",
        f"""
        select customer_key, item_key, count(distinct basket_key) as baskets
        from baskets
        where {_window(store, after, through)} and customer_key is not null
        group by all
        order by all
        """,
    ).df()


def held_out_customers(baskets: duckdb.DuckDBPyRelation, store: str, cutoff: dt.date, data_end: dt.date) -> np.ndarray:
    """The customers (sorted) with baskets both on or before `cutoff` and after it up to
    `data_end`: whom the evaluation split by date can score."""
    keys = baskets.query(
        "baskets",
        f"""
        select customer_key
        from baskets
        where {_window(store, None, data_end)} and customer_key is not null
        group by customer_key
        having min(order_day) <= date '{cutoff.isoformat()}' and max(order_day) > date '{cutoff.isoformat()}'
        order by customer_key
        """,
    ).fetchnumpy()["customer_key"]
    return np.asarray(keys, dtype=object)


def rule_counts(
    baskets: duckdb.DuckDBPyRelation,
    store: str,
    min_support: float,
    min_pair_baskets: int,
    through: dt.date | None = None,
) -> tuple[pd.DataFrame, pd.Series, int]:
    """What algorithms.rules_from_counts needs of the store's baskets (with or without a
    customer) ordered on or before `through`: the item pairs in at least pair_threshold
    baskets (first_key < second_key, pair_baskets), the baskets of each item and the number
    of baskets. The pairs are counted by a self-join on the basket in DuckDB, of the items
    themselves in at least that many baskets (no other item can be in such a pair)."""
    window = _window(store, None, through)
    n_baskets = baskets.query("baskets", f"select count(distinct basket_key) from baskets where {window}").fetchone()[0]
    items = baskets.query(
        "baskets",
        f"""
        select item_key, count(distinct basket_key) as baskets
        from baskets where {window} group by item_key order by item_key
        """,
    ).df()
    threshold = pair_threshold(n_baskets, min_support, min_pair_baskets)
    pairs = baskets.query(
        "baskets",
        f"""
        with basket_items as (
            select distinct basket_key, item_key from baskets where {window}
        ),

        frequent_items as (
            select item_key from basket_items group by item_key having count(*) >= {int(threshold)}
        ),

        frequent_basket_items as (
            select basket_key, item_key from basket_items semi join frequent_items using (item_key)
        )

        select first.item_key as first_key, second.item_key as second_key, count(*) as pair_baskets
        from frequent_basket_items as first
        inner join frequent_basket_items as second
            on first.basket_key = second.basket_key and first.item_key < second.item_key
        group by all
        having count(*) >= {int(threshold)}
        order by all
        """,
    ).df()
    return pairs, items.set_index("item_key")["baskets"], int(n_baskets)


def category_best_sellers(lines: duckdb.DuckDBPyRelation, products: duckdb.DuckDBPyRelation, store: str) -> pd.Series:
    """category -> the store's product of that category bought by the most distinct
    customers (ties by key)."""
    joined = lines.set_alias("l").join(products.set_alias("p"), "l.product_key = p.product_key", how="left")
    buyers = (
        joined.select(f"l.store, l.customer_key, l.product_key, {ITEM_KEYS['category']} as category")
        .query(
            "lines",
            f"""
        with buyers as (
            select category, product_key, count(distinct customer_key) as buyers
            from lines where store = {_literal(store)} group by all
        )
        select category, product_key
        from buyers
        qualify row_number() over (partition by category order by buyers desc, product_key) = 1
        order by category
        """,
        )
        .df()
    )
    return buyers.set_index("category")["product_key"]
