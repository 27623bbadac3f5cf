"""Olist-like Brazilian marketplace data: the nine CSV files of the Kaggle data set.

Reference tables (zip prefixes, sellers, products, geolocation) are sized by the number of
orders with caps, and live in memory (products and sellers are capped, zip prefixes cannot
exceed Brazil's). Orders and everything per order (customer row, items, payments, reviews)
are made chunk by chunk and appended to their files.

Behaviour worth modelling: business grows from 2016 to a 2018 plateau, Black Friday peak,
weekday pattern, purchases at all hours; late deliveries (far states) get low review scores;
some people come back (several customer_ids for one customer_unique_id).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retail_warehouse.landing.specs import OLIST_FILES_BY_TABLE

from . import textcols
from .arrays import expand
from .calendar import SECONDS_PER_DAY, Calendar, Chunk, chunk_plan
from .counting import add_counts
from .olist_vocabulary import (
    ACCENTED_CITIES,
    BRAZIL_LATITUDE,
    BRAZIL_LONGITUDE,
    CATEGORIES,
    FAR_STATES,
    ORDER_STATUSES,
    PAYMENT_TYPES,
    REVIEW_SENTENCES,
    REVIEW_TITLES,
    SINGLE_PAYMENT_SHARES,
    STATES,
)
from .randomness import (
    STREAM_OLIST_GEOLOCATION,
    STREAM_OLIST_IDS,
    STREAM_OLIST_ORDERS,
    STREAM_OLIST_REFERENCE,
    cdf,
    count_at_rate,
    hash_key,
    hashed_uniform,
    random_picks,
    rng_for,
)
from .writers import OLIST_CSV, OLIST_TRANSLATION_CSV, CsvWriter

ORDER_CHUNK = 100_000
GEOLOCATION_CHUNK_ROWS = 100_000
REPEAT_CUSTOMER_SHARE = 0.03
SEVERAL_PAYMENTS_SHARE = 0.03
LATE_SLACK_DAYS = (10.0, 5.0)  # estimated date = expected delivery + normal(mean, sd) days

# Orders per month (rough shape of the real business): a trickle in late 2016, growth through
# 2017 with the Black Friday November, a plateau in 2018, and the export's tail end.
MONTHLY_ORDERS = {
    (2016, 9): 4,
    (2016, 10): 320,
    (2016, 11): 1,
    (2016, 12): 1,
    (2017, 1): 800,
    (2017, 2): 1780,
    (2017, 3): 2680,
    (2017, 4): 2400,
    (2017, 5): 3700,
    (2017, 6): 3250,
    (2017, 7): 4030,
    (2017, 8): 4330,
    (2017, 9): 4280,
    (2017, 10): 4630,
    (2017, 11): 7540,
    (2017, 12): 5670,
    (2018, 1): 7270,
    (2018, 2): 6730,
    (2018, 3): 7210,
    (2018, 4): 6940,
    (2018, 5): 6870,
    (2018, 6): 6170,
    (2018, 7): 6290,
    (2018, 8): 6510,
    (2018, 9): 16,
    (2018, 10): 4,
}
OLIST_WEEKDAYS = np.array([1.12, 1.10, 1.05, 1.0, 0.95, 0.72, 0.78])  # Monday..Sunday
OLIST_HOURS = np.array(
    [
        2.4,
        1.1,
        0.5,
        0.3,
        0.2,
        0.2,
        0.5,
        1.2,
        3.0,
        4.8,
        6.2,
        6.5,
        6.0,
        6.5,
        6.7,
        6.5,
        6.4,
        5.9,
        5.6,
        5.9,
        6.2,
        6.1,
        5.8,
        4.2,
    ]
)


def olist_day_weight(year, month, day, weekday):
    months, month_of_day, days_in_month = np.unique(year * 12 + month, return_inverse=True, return_counts=True)
    per_month = np.array([MONTHLY_ORDERS.get(((int(m) - 1) // 12, (int(m) - 1) % 12 + 1), 0) for m in months])
    black_friday = (year == 2017) & (month == 11) & (day == 24)
    return (per_month / days_in_month)[month_of_day] * OLIST_WEEKDAYS[weekday] * np.where(black_friday, 4.0, 1.0)


@dataclass(frozen=True)
class OlistSizes:
    orders: int
    products: int
    sellers: int
    zips: int
    geolocation_rows: int

    @classmethod
    def for_lines(cls, lines: int) -> OlistSizes:
        """Orders follow the Online Retail size; reference tables are capped."""
        orders = max(50, lines // 5)
        return cls(
            orders=orders,
            products=int(np.clip(orders // 3, 40, 300_000)),
            sellers=int(np.clip(orders // 32, 10, 30_000)),
            zips=int(np.clip(orders // 5, 60, 20_000)),
            geolocation_rows=int(np.clip(orders * 10, 600, 2_000_000)),
        )


@dataclass(frozen=True)
class ZipTable:
    """Zip prefixes sorted by prefix, each in one city."""

    prefix: np.ndarray
    city: np.ndarray  # index into CITIES
    latitude: np.ndarray
    longitude: np.ndarray
    customer_cdf: np.ndarray
    seller_cdf: np.ndarray
    in_geolocation: np.ndarray  # a few customer zips are missing from geolocation, as in Olist


# Flat city list: (state index, name, latitude, longitude).
CITIES = tuple((s, name, lat, lng) for s, state in enumerate(STATES) for name, lat, lng in state.cities)
CITY_STATE = np.array([s for s, *_ in CITIES])
CITY_LATITUDE = np.array([lat for _, _, lat, _ in CITIES])
CITY_LONGITUDE = np.array([lng for *_, lng in CITIES])
CITY_IS_CAPITAL = np.array([i == 0 or CITIES[i - 1][0] != CITIES[i][0] for i in range(len(CITIES))])
STATE_IS_FAR = np.array([state.code in FAR_STATES for state in STATES])
STATE_CODES = pa.array([state.code for state in STATES])
SAO_PAULO = [state.code for state in STATES].index("SP")
CITY_NAMES = pa.array([name for _, name, *_ in CITIES])
# Geolocation spells cities three ways: plain, with accents, and (rarely) 'city, state, brasil'.
GEOLOCATION_CITY_NAMES = pa.array(
    [name for _, name, *_ in CITIES]
    + [ACCENTED_CITIES.get(name, name) for _, name, *_ in CITIES]
    + [f"{name}, {STATES[s].name}, brasil" for s, name, *_ in CITIES]
)


def build_zip_table(rng: np.random.Generator, n_zips: int) -> ZipTable:
    shares = np.array([state.share for state in STATES])
    per_state = np.maximum(1, np.floor(n_zips * shares / shares.sum())).astype(np.int64)
    prefixes, cities, weights = [], [], []
    for s, (state, count) in enumerate(zip(STATES, per_state)):
        low, high = state.zip_range
        prefixes.append(low + rng.choice(high - low + 1, size=count, replace=False))
        in_state = np.flatnonzero(s == CITY_STATE)
        city_weight = np.where(CITY_IS_CAPITAL[in_state], 3.0, 1.0)
        cities.append(rng.choice(in_state, size=count, p=city_weight / city_weight.sum()))
        weights.append(np.full(count, state.share / count))
    prefix, city, weight = (np.concatenate(parts) for parts in (prefixes, cities, weights))
    order = np.argsort(prefix)
    prefix, city, weight = prefix[order], city[order], weight[order]
    weight = weight * rng.lognormal(0.0, 0.5, len(prefix)) * np.where(CITY_IS_CAPITAL[city], 1.5, 1.0)
    # Sellers cluster in the south-east, São Paulo above all.
    seller_weight = (
        weight * np.where(CITY_STATE[city] == SAO_PAULO, 3.0, 1.0) * np.where(STATE_IS_FAR[CITY_STATE[city]], 0.2, 1.0)
    )
    missing = rng.choice(len(prefix), size=max(1, len(prefix) // 100), replace=False)
    in_geolocation = np.ones(len(prefix), dtype=bool)
    in_geolocation[missing] = False
    return ZipTable(
        prefix=prefix,
        city=city,
        latitude=CITY_LATITUDE[city] + rng.normal(0.0, 0.05, len(prefix)),
        longitude=CITY_LONGITUDE[city] + rng.normal(0.0, 0.05, len(prefix)),
        customer_cdf=cdf(weight),
        seller_cdf=cdf(seller_weight),
        in_geolocation=in_geolocation,
    )


@dataclass(frozen=True)
class Products:
    category: np.ndarray  # index into CATEGORIES, -1 = missing
    seller: np.ndarray
    price_cents: np.ndarray
    weight_g: np.ndarray
    popularity_cdf: np.ndarray
    by_category: np.ndarray  # product indices sorted by category
    category_start: np.ndarray  # by_category[category_start[c + 1]:category_start[c + 2]] is category c (-1 first)
    table: list[pa.Array]  # the CSV columns
    quirks: dict


def build_products(rng: np.random.Generator, n: int, n_sellers: int, product_key) -> Products:
    shares = np.array([c.share for c in CATEGORIES])
    category = rng.choice(len(CATEGORIES), size=n, p=shares / shares.sum())
    untranslated = [i for i, c in enumerate(CATEGORIES) if c.english is None]
    forced = rng.choice(n, size=len(untranslated), replace=False)
    category[forced] = untranslated  # both untranslated categories always occur
    missing_category = random_picks(rng, n, 0.0185, at_least=1, among=np.setdiff1d(np.arange(n), forced))
    category = np.where(missing_category, -1, category)
    missing_dimensions = random_picks(rng, n, 6e-5, at_least=1)

    median_price = np.array([c.price for c in CATEGORIES])[np.maximum(category, 0)]
    reais = np.maximum(1, np.round(rng.lognormal(np.log(median_price), 0.8)))
    price_cents = np.maximum(85, reais * 100 - rng.choice([10, 10, 10, 1, 0], size=n)).astype(np.int64)
    median_weight = np.array([c.weight_g for c in CATEGORIES])[np.maximum(category, 0)]
    weight_g = np.clip(np.round(rng.lognormal(np.log(median_weight), 0.9)), 0, 40_425).astype(np.int64)
    seller = np.searchsorted(cdf(rng.lognormal(0.0, 1.5, n_sellers)), rng.random(n), side="right") - 1
    by_category = np.argsort(category, kind="stable")
    table = [
        textcols.hex_ids(product_key, np.arange(n)),
        textcols.with_nulls(
            textcols.lookup(pa.array([c.name for c in CATEGORIES]), np.maximum(category, 0)), missing_category
        ),
        textcols.integers(np.clip(np.round(rng.normal(48, 10, n)), 5, 76), missing_category),
        textcols.integers(np.clip(np.round(rng.lognormal(np.log(600), 0.8, n)), 4, 3992), missing_category),
        textcols.integers(np.clip(rng.geometric(0.5, n), 1, 20), missing_category),
        textcols.integers(weight_g, missing_dimensions),
        textcols.integers(np.clip(np.round(rng.lognormal(np.log(28), 0.4, n)), 7, 105), missing_dimensions),
        textcols.integers(np.clip(np.round(rng.lognormal(np.log(14), 0.6, n)), 2, 105), missing_dimensions),
        textcols.integers(np.clip(np.round(rng.lognormal(np.log(22), 0.4, n)), 6, 118), missing_dimensions),
    ]
    return Products(
        category=category,
        seller=seller,
        price_cents=price_cents,
        weight_g=weight_g,
        popularity_cdf=cdf(rng.lognormal(0.0, 1.5, n)),
        by_category=by_category,
        category_start=np.searchsorted(category[by_category], np.arange(-1, len(CATEGORIES) + 1)),
        table=table,
        quirks={
            "rows": n,
            "missing_category": int(missing_category.sum()),
            "missing_dimensions": int(missing_dimensions.sum()),
            "untranslated_category_products": int(np.isin(category, untranslated).sum()),
        },
    )


@dataclass
class _OrderState:
    """What later chunks need from earlier ones."""

    persons: int  # customer_unique_ids handed out so far
    has_repeat: np.ndarray  # per person: bought more than once


@dataclass(frozen=True)
class _Keys:
    order: np.uint64
    customer: np.uint64
    person: np.uint64
    person_zip: np.uint64
    product: np.uint64
    seller: np.uint64
    review: np.uint64

    @classmethod
    def for_seed(cls, seed: int) -> _Keys:
        return cls(*(hash_key(seed, STREAM_OLIST_IDS, kind) for kind in range(7)))


STATUS_NAMES = tuple(name for name, _ in ORDER_STATUSES)
DELIVERED, SHIPPED, CANCELED, UNAVAILABLE, INVOICED, PROCESSING, CREATED, APPROVED = range(8)
CREDIT_CARD, BOLETO, VOUCHER, DEBIT_CARD, NOT_DEFINED = range(5)


class OlistGenerator:
    def __init__(self, seed: int, lines: int):
        self.seed = seed
        self.sizes = OlistSizes.for_lines(lines)
        self.keys = _Keys.for_seed(seed)
        rng = rng_for(seed, STREAM_OLIST_REFERENCE)
        self.zips = build_zip_table(rng, self.sizes.zips)
        self.seller_zip = np.searchsorted(self.zips.seller_cdf, rng.random(self.sizes.sellers), side="right") - 1
        self.products = build_products(rng, self.sizes.products, self.sizes.sellers, self.keys.product)
        self.calendar = Calendar.build("2016-09-04", "2018-10-17", olist_day_weight, OLIST_HOURS, whole_minutes=False)
        self.state = _OrderState(persons=0, has_repeat=np.zeros(self.sizes.orders, dtype=bool))
        sentences = [*REVIEW_SENTENCES["good"], *REVIEW_SENTENCES["bad"], ""]
        self.sentences = pa.array(sentences)
        self.n_good_sentences = len(REVIEW_SENTENCES["good"])
        self.titles = pa.array([*REVIEW_TITLES["good"], *REVIEW_TITLES["bad"]])
        self.n_good_titles = len(REVIEW_TITLES["good"])

    # -- reference tables -----------------------------------------------------------------

    def sellers_table(self) -> list[pa.Array]:
        return [
            textcols.hex_ids(self.keys.seller, np.arange(self.sizes.sellers)),
            *self._place_columns(self.seller_zip),
        ]

    def _place_columns(self, zip_index: np.ndarray) -> list[pa.Array]:
        city = self.zips.city[zip_index]
        return [
            textcols.zero_padded(self.zips.prefix[zip_index], 5),
            textcols.lookup(CITY_NAMES, city),
            textcols.lookup(STATE_CODES, CITY_STATE[city]),
        ]

    @staticmethod
    def translation_table() -> list[pa.Array]:
        translated = [c for c in CATEGORIES if c.english is not None]
        return [pa.array([c.name for c in translated]), pa.array([c.english for c in translated])]

    def geolocation_tables(self):
        """Chunks of geolocation rows (CSV columns, quirk counts), in zip prefix order."""
        zips = np.flatnonzero(self.zips.in_geolocation)
        mean_rows = self.sizes.geolocation_rows / len(zips)
        zips_per_chunk = max(1, int(GEOLOCATION_CHUNK_ROWS / mean_rows))
        for index, start in enumerate(range(0, len(zips), zips_per_chunk)):
            rng = rng_for(self.seed, STREAM_OLIST_GEOLOCATION, index)
            yield self._geolocation_chunk(rng, zips[start : start + zips_per_chunk], mean_rows, first=index == 0)

    def _geolocation_chunk(self, rng, zips: np.ndarray, mean_rows: float, first: bool):
        """Several points per zip prefix, about a quarter of the rows exact duplicates, a few
        points outside Brazil, city names with or without accents, one city value with commas."""
        distinct = 1 + rng.poisson(max(mean_rows * 0.74 - 1, 0.0), len(zips))
        owner, _ = expand(distinct)
        n = len(owner)
        # Points scatter around the zip's centre but stay in Brazil (coastal cities sit on the edge).
        latitude = np.clip(self.zips.latitude[zips][owner] + rng.normal(0.0, 0.03, n), *BRAZIL_LATITUDE)
        longitude = np.clip(self.zips.longitude[zips][owner] + rng.normal(0.0, 0.03, n), *BRAZIL_LONGITUDE)
        abroad = random_picks(rng, n, 4.2e-5, at_least=first)
        latitude[abroad] = rng.uniform(25.0, 45.07, abroad.sum())
        longitude[abroad] = rng.uniform(-10.0, 121.1, abroad.sum())
        city = self.zips.city[zips][owner]
        # City spelling: index into GEOLOCATION_CITY_NAMES (plain, accented, with commas).
        spelling = city + len(CITIES) * (rng.random(n) < 0.12)
        if first:
            spelling[0] = city[0] + 2 * len(CITIES)

        # Duplicates: copies of random rows of the same zip, then shuffled within the zip.
        copies = rng.poisson(mean_rows * 0.26, len(zips))
        copy_owner, _ = expand(copies)
        first_row = np.cumsum(distinct) - distinct
        source = first_row[copy_owner] + (rng.random(len(copy_owner)) * distinct[copy_owner]).astype(np.int64)
        rows = np.concatenate([np.arange(n), source])
        rows = rows[np.lexsort((rng.random(len(rows)), np.concatenate([owner, copy_owner])))]
        zip_of_row, latitude, longitude, spelling = zips[owner[rows]], latitude[rows], longitude[rows], spelling[rows]
        table = [
            textcols.zero_padded(self.zips.prefix[zip_of_row], 5),
            textcols.shortest_decimals(latitude),
            textcols.shortest_decimals(longitude),
            textcols.lookup(GEOLOCATION_CITY_NAMES, spelling),
            textcols.lookup(STATE_CODES, CITY_STATE[city[rows]]),
        ]
        outside = ~_inside(latitude, BRAZIL_LATITUDE) | ~_inside(longitude, BRAZIL_LONGITUDE)
        frame = pd.DataFrame({"zip": zip_of_row, "lat": latitude, "lng": longitude, "city": spelling})
        quirks = {
            "rows": len(rows),
            "duplicate_rows": int(frame.duplicated().sum()),
            "outside_brazil": int(outside.sum()),
            "city_with_comma": int((spelling >= 2 * len(CITIES)).sum()),
        }
        return table, quirks

    # -- orders and what hangs on them -----------------------------------------------------

    def order_chunks(self):
        """Per chunk: {table: CSV columns} and the chunk's quirk counts."""
        for chunk in chunk_plan(self.sizes.orders, ORDER_CHUNK):
            yield self._order_chunk(chunk)

    def _order_chunk(self, chunk: Chunk):
        rng = rng_for(self.seed, STREAM_OLIST_ORDERS, chunk.index)
        first = chunk.index == 0
        n = chunk.size
        order_index = chunk.start + np.arange(n)
        _, purchase = self.calendar.sorted_times(rng, n, chunk.q0, chunk.q1)
        person = self._persons(rng, n, first)
        customer_zip = (
            np.searchsorted(self.zips.customer_cdf, hashed_uniform(self.keys.person_zip, person), side="right") - 1
        )

        status = rng.choice(len(ORDER_STATUSES), size=n, p=_shares(ORDER_STATUSES))
        if first and n >= 20 and not np.isin(status, [UNAVAILABLE, CREATED]).any():
            status[rng.integers(1, n)] = UNAVAILABLE  # keep orders without items visible
        items = self._items(rng, status)
        n_items = np.bincount(items["order"], minlength=n)
        seller_zip = np.where(n_items > 0, self.seller_zip[self.products.seller[items["first_product"]]], 0)
        dates = self._dates(rng, purchase, status, customer_zip, seller_zip, first)
        shipping_limit = self._shipping_limits(rng, np.where(dates["approved_missing"], purchase, dates["approved"]))
        freight_zero = random_picks(rng, len(items["order"]), 0.0034, at_least=first)
        freight = self._freight_cents(rng, items["product"], customer_zip[items["order"]], freight_zero)
        item_value = self.products.price_cents[items["product"]] + freight
        order_value = np.bincount(items["order"], weights=item_value, minlength=n)
        order_value = np.where(n_items > 0, order_value, np.round(rng.lognormal(np.log(15_000), 0.7, n)))
        payments = self._payments(rng, order_value.astype(np.int64), status, n_items == 0, first)
        reviews = self._reviews(rng, order_index, dates, first)

        order_ids = textcols.hex_ids(self.keys.order, order_index)
        customer_ids = textcols.hex_ids(self.keys.customer, order_index)
        tables = {
            "orders": [
                order_ids,
                customer_ids,
                textcols.lookup(pa.array(STATUS_NAMES), status),
                textcols.timestamps(purchase),
                textcols.timestamps(dates["approved"], dates["approved_missing"]),
                textcols.timestamps(dates["carrier"], dates["carrier_missing"]),
                textcols.timestamps(dates["delivered"], dates["delivered_missing"]),
                textcols.timestamps(dates["estimated"]),
            ],
            "customers": [customer_ids, textcols.hex_ids(self.keys.person, person), *self._place_columns(customer_zip)],
            "order_items": [
                order_ids.take(pa.array(items["order"])),
                textcols.integers(items["sequence"]),
                textcols.hex_ids(self.keys.product, items["product"]),
                textcols.hex_ids(self.keys.seller, self.products.seller[items["product"]]),
                textcols.timestamps(shipping_limit[items["order"]]),
                textcols.cents_two_decimals(self.products.price_cents[items["product"]]),
                textcols.cents_two_decimals(freight),
            ],
            "order_payments": [order_ids.take(pa.array(payments["order"])), *payments["columns"]],
            "order_reviews": [
                textcols.hex_ids(self.keys.review, reviews["id_index"]),
                order_ids.take(pa.array(reviews["order"])),
                *reviews["columns"],
            ],
        }
        delivered = status == DELIVERED
        quirks = {
            "orders": {
                "rows": n,
                "status": {STATUS_NAMES[s]: int(c) for s, c in zip(*np.unique(status, return_counts=True))},
                "delivered_without_delivery_date": int((delivered & dates["delivered_missing"]).sum()),
                "delivered_without_approval_date": int((delivered & dates["approved_missing"]).sum()),
                "delivered_without_carrier_date": int((delivered & dates["carrier_missing"]).sum()),
                "delivered_late": int(dates["late"].sum()),
                "without_items": int((n_items == 0).sum()),
            },
            "customers": {"rows": n},
            "order_items": {"rows": len(items["order"]), "freight_zero": int(freight_zero.sum())},
            "order_payments": payments["quirks"],
            "order_reviews": reviews["quirks"],
        }
        return tables, quirks

    def _persons(self, rng, n: int, first: bool) -> np.ndarray:
        """customer_unique_id per order: mostly new people, some returning ones."""
        new = rng.random(n) >= REPEAT_CUSTOMER_SHARE
        if self.state.persons == 0:
            new[0] = True
        if first and n >= 3 and new.all():
            new[-1] = False  # keep returning customers visible in small data
        before = self.state.persons + np.cumsum(new) - new
        person = np.where(new, before, (rng.random(n) * before).astype(np.int64))
        self.state.has_repeat[person[~new]] = True
        self.state.persons += int(new.sum())
        return person

    def _items(self, rng, status: np.ndarray) -> dict:
        """Items of each order: a first product by popularity, then more of the same product
        or others from its category. Unavailable, created and some canceled orders have none."""
        n = len(status)
        no_items = np.isin(status, [UNAVAILABLE, CREATED]) | ((status == CANCELED) & (rng.random(n) < 0.26))
        n_items = np.where(no_items, 0, np.where(rng.random(n) < 0.92, 1, 1 + rng.geometric(0.55, n)))
        n_items = np.minimum(n_items, 21)
        first_product = np.searchsorted(self.products.popularity_cdf, rng.random(n), side="right") - 1
        order, position = expand(n_items)
        sequence = position + 1  # order_item_id
        category = self.products.category[first_product][order] + 1  # +1: the 'missing' group comes first
        low, high = self.products.category_start[category], self.products.category_start[category + 1]
        same_category = self.products.by_category[low + (rng.random(len(order)) * (high - low)).astype(np.int64)]
        repeat = (sequence == 1) | (rng.random(len(order)) < 0.6)
        product = np.where(repeat, first_product[order], same_category)
        return {"order": order, "sequence": sequence, "product": product, "first_product": first_product}

    @staticmethod
    def _shipping_limits(rng, approved: np.ndarray) -> np.ndarray:
        """Per order: when the seller must hand over, about six days after approval; a
        handful of dates land years later, as in the real data."""
        limit = approved + 6 * SECONDS_PER_DAY + rng.integers(0, SECONDS_PER_DAY, len(approved))
        return limit + np.where(rng.random(len(approved)) < 3.5e-5, 600 * SECONDS_PER_DAY, 0)

    def _freight_cents(self, rng, product: np.ndarray, customer_zip: np.ndarray, zero: np.ndarray) -> np.ndarray:
        far = STATE_IS_FAR[CITY_STATE[self.zips.city[customer_zip]]]
        weight_kg = np.maximum(self.products.weight_g[product], 50) / 1000
        freight = 900 + 700 * weight_kg**0.6 * np.where(far, 1.8, 1.0) * rng.lognormal(0.0, 0.3, len(product))
        return np.where(zero, 0, np.round(freight)).astype(np.int64)

    def _dates(self, rng, purchase, status, customer_zip, seller_zip, first: bool) -> dict:
        """Approval, hand-over to the carrier, delivery and the promised date, with the nulls
        each status implies and a few delivered orders missing a date."""
        n = len(purchase)
        day = SECONDS_PER_DAY
        slow_payment = rng.random(n) < 0.2  # boleto: approved when the bank slip is paid
        approved = purchase + np.where(
            slow_payment, rng.uniform(0.5, 3.0, n) * day, rng.lognormal(np.log(900), 1.0, n)
        ).astype(np.int64)
        carrier = approved + (rng.gamma(2.0, 1.4, n) * day).astype(np.int64)
        carrier -= carrier % 60  # carriers log whole minutes
        customer_state, seller_state = CITY_STATE[self.zips.city[customer_zip]], CITY_STATE[self.zips.city[seller_zip]]
        mean_transit = np.where(customer_state == seller_state, 5.0, np.where(STATE_IS_FAR[customer_state], 18.0, 10.0))
        delivered = carrier + (rng.gamma(4.0, mean_transit / 4.0) * day).astype(np.int64)
        promised_days = (carrier - purchase) / day + mean_transit + rng.normal(*LATE_SLACK_DAYS, n)
        estimated = (purchase // day + np.maximum(3, np.ceil(promised_days)).astype(np.int64)) * day

        is_delivered = status == DELIVERED
        approved_missing = status == CREATED
        carrier_missing = ~np.isin(status, [DELIVERED, SHIPPED]) & ~((status == CANCELED) & (rng.random(n) < 0.2))
        delivered_missing = ~is_delivered
        delivered_orders = np.flatnonzero(is_delivered)
        for missing, rate in ((delivered_missing, 8.3e-5), (approved_missing, 1.45e-4), (carrier_missing, 2e-5)):
            missing |= random_picks(rng, n, rate, at_least=first and rate > 5e-5, among=delivered_orders)
        return {
            "approved": approved,
            "approved_missing": approved_missing,
            "carrier": carrier,
            "carrier_missing": carrier_missing,
            "delivered": delivered,
            "delivered_missing": delivered_missing,
            "estimated": estimated,
            "late": ~delivered_missing & (delivered > estimated),
        }

    def _payments(self, rng, value_cents: np.ndarray, status: np.ndarray, no_items: np.ndarray, first: bool) -> dict:
        """One payment per order, or several (vouchers, then a card); one order has none."""
        n = len(value_cents)
        several = rng.random(n) < SEVERAL_PAYMENTS_SHARE
        vouchers = np.minimum(rng.geometric(0.45, n), 28)
        card_after_vouchers = rng.random(n) < 0.5
        count = np.where(several, vouchers + card_after_vouchers, 1)
        if first:  # the one order without payment
            delivered = np.flatnonzero(status == DELIVERED)
            count[rng.choice(delivered) if len(delivered) else 0] = 0
        order, position = expand(count)
        sequence = position + 1  # payment_sequential
        single_type = rng.choice(
            len(PAYMENT_TYPES), size=n, p=np.array(SINGLE_PAYMENT_SHARES) / sum(SINGLE_PAYMENT_SHARES)
        )
        single_type = np.where(no_items & (status == CANCELED) & (rng.random(n) < 0.02), NOT_DEFINED, single_type)
        last = sequence == count[order]
        kind = np.where(
            ~several[order], single_type[order], np.where(last & card_after_vouchers[order], CREDIT_CARD, VOUCHER)
        )
        # Split the order value over its payments; the last one takes the rounding rest.
        share = rng.random(len(order)) + 0.1
        share_sum = np.bincount(order, weights=share, minlength=n)
        value = np.floor(value_cents[order] * share / share_sum[order]).astype(np.int64)
        value[last] += (
            value_cents[order][last] - np.bincount(order, weights=value, minlength=n).astype(np.int64)[order][last]
        )
        value[random_picks(rng, len(order), 9e-5, at_least=first)] = 0
        installments = np.where(
            kind == CREDIT_CARD, rng.choice(np.arange(1, 11), size=len(order), p=_installment_shares()), 1
        )
        installments[rng.random(len(order)) < 2e-5] = 0
        return {
            "order": order,
            "columns": [
                textcols.integers(sequence),
                textcols.lookup(pa.array(PAYMENT_TYPES), kind),
                textcols.integers(installments),
                textcols.shortest_decimals(value / 100),
            ],
            "quirks": {
                "rows": len(order),
                "orders_with_several_payments": int((count > 1).sum()),
                "orders_without_payment": int((count == 0).sum()),
                "payment_value_zero": int((value == 0).sum()),
                "zero_installments": int((installments == 0).sum()),
            },
        }

    def _reviews(self, rng, order_index: np.ndarray, dates: dict, first: bool) -> dict:
        """About one review per order; some orders have two, some share one review_id with
        another order (same review row), a few have none. Late orders score low."""
        n = len(order_index)
        reviews_per_order = np.ones(n, dtype=np.int64)
        reviews_per_order[random_picks(rng, n, 0.008)] = 0
        reviews_per_order[random_picks(rng, n, 0.0055, at_least=first)] = 2
        order, position = expand(reviews_per_order)
        second = position == 1
        id_index = 2 * order_index[order] + second

        late = dates["late"][order]
        not_delivered = dates["delivered_missing"][order]
        score_p = np.where(
            late[:, None],
            [0.45, 0.10, 0.13, 0.14, 0.18],
            np.where(not_delivered[:, None], [0.6, 0.1, 0.1, 0.08, 0.12], [0.07, 0.025, 0.075, 0.2, 0.63]),
        )
        score = 1 + (rng.random(len(order))[:, None] > np.cumsum(score_p, axis=1)).sum(axis=1)
        score = np.minimum(score, 5)
        reference = np.where(not_delivered, dates["estimated"][order], dates["delivered"][order])
        created = (reference // SECONDS_PER_DAY + 1 + rng.integers(0, 2, len(order)) + 3 * second) * SECONDS_PER_DAY
        answered = (
            created
            + (rng.exponential(1.5, len(order)) * SECONDS_PER_DAY).astype(np.int64)
            + rng.integers(3600, 7200, len(order))
        )

        # Shared review ids: order B carries exactly order A's review row.
        single = np.flatnonzero(reviews_per_order[order] == 1)
        pairs = count_at_rate(rng, len(single) // 2, 0.008, at_least=first)
        chosen = rng.choice(single, size=2 * pairs, replace=False)
        source, target = chosen[:pairs], chosen[pairs:]
        good = score >= 4
        title, message, multiline = self._review_texts(rng, good)
        for values in (id_index, score, created, answered, title, message, multiline):
            values[target] = values[source]
        ids = pd.Series(id_index)
        return {
            "order": order,
            "id_index": id_index,
            "columns": [
                textcols.integers(score),
                textcols.with_nulls(textcols.lookup(self.titles, np.maximum(title, 0)), title < 0),
                self._messages(message),
                textcols.timestamps(created),
                textcols.timestamps(answered),
            ],
            "quirks": {
                "rows": len(order),
                "orders_without_review": int((reviews_per_order == 0).sum()),
                "orders_with_several_reviews": int((reviews_per_order > 1).sum()),
                "review_ids_shared_by_orders": int((ids.value_counts() > 1).sum()),
                "multiline_comments": int(multiline[message[:, 0] >= 0].sum()),
                "late_reviews_score_1_2": int((late & (score <= 2)).sum()),
            },
        }

    def _review_texts(self, rng, good: np.ndarray):
        """Indices of title (-1 none) and message parts (sentence, joiner, sentence; -1 none)."""
        n = len(good)
        n_good_s, n_bad_s = self.n_good_sentences, len(self.sentences) - 1 - self.n_good_sentences
        n_good_t, n_bad_t = self.n_good_titles, len(self.titles) - self.n_good_titles
        has_title = rng.random(n) < 0.12
        title = np.where(good, rng.integers(0, n_good_t, n), n_good_t + rng.integers(0, n_bad_t, n))
        title = np.where(has_title, title, -1)
        has_message = rng.random(n) < np.where(good, 0.33, 0.75)
        sentence = np.where(
            good[:, None], rng.integers(0, n_good_s, (n, 2)), n_good_s + rng.integers(0, n_bad_s, (n, 2))
        )
        joiner = rng.choice(4, size=n, p=[0.55, 0.2, 0.17, 0.08])  # one sentence, ', ', '. ', a line break
        empty = len(self.sentences) - 1
        message = np.stack([sentence[:, 0], joiner, np.where(joiner == 0, empty, sentence[:, 1])], axis=1)
        message[~has_message] = -1
        multiline = joiner == 3
        if n and not (has_message & multiline).any():
            message[0] = [sentence[0, 0], 3, sentence[0, 1]]  # a multi-line comment is always there
            multiline[0] = True
        return title, message, multiline

    def _messages(self, message: np.ndarray) -> pa.Array:
        joiners = pa.array(["", ", ", ". ", "\r\n"])
        missing = message[:, 0] < 0
        parts = np.maximum(message, 0)
        text = pc.binary_join_element_wise(
            textcols.lookup(self.sentences, parts[:, 0]),
            textcols.lookup(joiners, parts[:, 1]),
            textcols.lookup(self.sentences, parts[:, 2]),
            "",
        )
        return textcols.with_nulls(text, missing)

    def customer_quirks(self) -> dict:
        return {
            "unique_customers": self.state.persons,
            "unique_customers_with_several_customer_ids": int(self.state.has_repeat.sum()),
        }


def _inside(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    return (values >= bounds[0]) & (values <= bounds[1])


def _shares(pairs) -> np.ndarray:
    weights = np.array([share for _, share in pairs], dtype=np.float64)
    return weights / weights.sum()


def _installment_shares() -> np.ndarray:
    weights = np.array([50.0, 12.0, 10.0, 7.0, 5.0, 4.0, 1.6, 4.3, 0.6, 5.5])
    return weights / weights.sum()


TEXT_COLUMNS = {
    "orders": ("order_id", "customer_id", "order_status"),
    "customers": ("customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city", "customer_state"),
    "order_items": ("order_id", "product_id", "seller_id"),
    "order_payments": ("order_id", "payment_type"),
    "order_reviews": ("review_id", "order_id", "review_comment_title", "review_comment_message"),
    "products": ("product_id", "product_category_name"),
    "sellers": ("seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"),
    "geolocation": ("geolocation_zip_code_prefix", "geolocation_city", "geolocation_state"),
    "product_category_name_translation": ("product_category_name", "product_category_name_english"),
}


def write_olist(out_dir: Path, lines: int, seed: int) -> dict:
    """Write the nine Olist CSVs; return their manifest entry."""
    generator = OlistGenerator(seed, lines)
    folder = out_dir / "olist"

    def writer(table: str) -> CsvWriter:
        spec = OLIST_FILES_BY_TABLE[table]
        dialect = OLIST_TRANSLATION_CSV if table == "product_category_name_translation" else OLIST_CSV
        return CsvWriter(folder / f"{spec.file_stem}.csv", spec.columns, dialect, TEXT_COLUMNS[table])

    quirks: dict = {}
    with writer("product_category_name_translation") as out:
        out.write(generator.translation_table())
    with writer("sellers") as out:
        out.write(generator.sellers_table())
    with writer("products") as out:
        out.write(generator.products.table)
    quirks["products"] = generator.products.quirks
    with writer("geolocation") as out:
        for table, part in generator.geolocation_tables():
            out.write(table)
            add_counts(quirks.setdefault("geolocation", {}), part)
    order_tables = ("orders", "customers", "order_items", "order_payments", "order_reviews")
    writers = {table: writer(table) for table in order_tables}
    try:
        for tables, part in generator.order_chunks():
            for table, columns in tables.items():
                writers[table].write(columns)
            add_counts(quirks, part)
    finally:
        for out in writers.values():
            out.close()
    quirks["customers"].update(generator.customer_quirks())
    files = {
        f"olist/{OLIST_FILES_BY_TABLE[table].file_stem}.csv": {"rows": rows}
        for table, rows in (
            ("product_category_name_translation", len(generator.translation_table()[0])),
            ("sellers", generator.sizes.sellers),
            ("products", generator.sizes.products),
            ("geolocation", quirks["geolocation"]["rows"]),
            *((table, quirks[table]["rows"]) for table in order_tables),
        )
    }
    return {"files": files, "quirks": quirks}
