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
from dataclasses import dataclass

import duckdb
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


def hash_sample(keys: str, size: int | None, seed: int) -> str:
    """SQL of a seeded hash sample of at most `size` of the customer keys (column customer_key,
    distinct) of the query `keys`: those with the smallest md5 of the seed and the key (ties by
    key), every one when size is None or not below their number. Whether a customer is in
    depends on its key alone, not on its position, so one new customer enters the sample or
    not and nobody else moves in or out; drawn in DuckDB, no key list reaches pandas."""
    limit = "" if size is None else f"limit {int(size)}"
    return f"""
        select customer_key from ({keys})
        order by md5('{int(seed)}:' || cast(customer_key as varchar)), customer_key
        {limit}
    """


def customer_item_counts(
    baskets: duckdb.DuckDBPyRelation,
    store: str,
    after: dt.date | None = None,
    through: dt.date | None = None,
    customers: str | None = None,
) -> pd.DataFrame:
    """Baskets per customer and item (customer_key, item_key, baskets) of the store's baskets
    with a customer ordered after `after` and on or before `through` (None: no bound), of the
    customers that satisfy the SQL condition `customers` (in_query of a hash_sample, a
    key_range; None: every customer)."""
    return _counts(baskets, store, after, through, customers).df()


def _counts(baskets, store, after=None, through=None, customers=None) -> duckdb.DuckDBPyRelation:
    among = "" if customers is None else f"and {customers}"
    return baskets.query(
        "baskets",
        f"""
        select customer_key, item_key, count(distinct basket_key) as baskets
        from baskets
        where {_window(store, after, through)} and customer_key is not null {among}
        group by all
        order by all
        """,
    )


# customer_item_chunks reads this many vectors of 2,048 rows at a time.
CHUNK_VECTORS = 64


def customer_item_chunks(baskets: duckdb.DuckDBPyRelation, store: str) -> Iterator[pd.DataFrame]:
    """customer_item_counts of the store (no day bound, every customer) in chunks of
    CHUNK_VECTORS vectors, the same rows in the same order and dtypes (the first chunk even
    when empty: it carries the types): memory follows a chunk, not the store."""
    relation = _counts(baskets, store)
    chunk = relation.fetch_df_chunk(CHUNK_VECTORS)
    while True:
        yield chunk
        chunk = relation.fetch_df_chunk(CHUNK_VECTORS)
        if chunk.empty:
            return


def customers_and_items(baskets: duckdb.DuckDBPyRelation, store: str, through: dt.date | None) -> tuple[int, int]:
    """How many customers and items have a basket of a customer ordered on or before `through`
    (None: every day)."""
    customers, items = baskets.query(
        "baskets",
        f"""
        select count(distinct customer_key), count(distinct item_key)
        from baskets where {_window(store, None, through)} and customer_key is not null
        """,
    ).fetchone()
    return int(customers), int(items)


def in_query(query: str) -> str:
    """SQL condition: customer_key is one of those of the query (column customer_key)."""
    return f"customer_key in ({query})"


def key_range(first: str, last: str) -> str:
    """SQL condition: customer_key from `first` to `last` (string order, as numpy's and
    Python's for these keys)."""
    return f"customer_key between {_literal(first)} and {_literal(last)}"


def counted(baskets: duckdb.DuckDBPyRelation, query: str) -> int:
    """The number of rows of the query over `baskets`."""
    return int(baskets.query("baskets", f"select count(*) from ({query})").fetchone()[0])


def held_out_query(store: str, cutoff: dt.date, data_end: dt.date) -> str:
    """SQL over `baskets` of the customers (customer_key, sorted) with baskets both on or
    before `cutoff` and after it up to `data_end`: whom the evaluation split by date can score."""
    return f"""
        select customer_key
        from baskets
        where {_window(store, None, data_end)} and customer_key is not null
        group by customer_key
        having min(order_day) <= date '{cutoff.isoformat()}' and max(order_day) > date '{cutoff.isoformat()}'
        order by customer_key
    """


@dataclass(frozen=True)
class FitCounts:
    """What a recommender learns from (fit_counts): the baskets per customer and item
    (customer_key, item_key, baskets; sorted) of the customer sample on the kept items, and how
    many customers and items have training baskets (training_*) and are fitted on (fitted_*)."""

    counts: pd.DataFrame
    training_customers: int
    training_items: int
    fitted_customers: int
    fitted_items: int


def fit_counts(
    baskets: duckdb.DuckDBPyRelation,
    store: str,
    through: dt.date | None,
    max_customers: int | None,
    max_items: int | None,
    seed: int,
) -> FitCounts:
    """The training baskets per customer and item (ordered on or before `through`; None: every
    day) of a seeded hash sample of at most max_customers of the customers with one
    (hash_sample), on the max_items items bought by the most customers of the sample (then by
    key: the head of the popularity order of algorithms.interactions_from_counts; None: every
    item). Sampled and capped in DuckDB, so pandas holds at most max_customers x max_items;
    the items left out are never recommended by the fitted model (popularity fills from the
    items kept, the more popular ones) and count as misses in the evaluation. A sampled
    customer whose items are all left out is not fitted on."""
    window = f"{_window(store, None, through)} and customer_key is not null"
    training_customers, training_items = customers_and_items(baskets, store, through)
    items_limit = "" if max_items is None else f"limit {int(max_items)}"
    counts = baskets.query(
        "baskets",
        f"""
        with training as (
            select customer_key, item_key, count(distinct basket_key) as baskets
            from baskets where {window} group by all
        ),

        sampled_customers as (
            {hash_sample("select distinct customer_key from training", max_customers, seed)}
        ),

        sampled as (
            select * from training semi join sampled_customers using (customer_key)
        ),

        kept_items as (
            select item_key from sampled group by item_key order by count(*) desc, item_key {items_limit}
        )

        select customer_key, item_key, baskets
        from sampled semi join kept_items using (item_key)
        order by all
        """,
    ).df()
    return FitCounts(
        counts,
        training_customers,
        training_items,
        counts["customer_key"].nunique(),
        counts["item_key"].nunique(),
    )


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
