"""Online Retail I and II: invoice lines of a UK gift wholesaler, with the real data's quirks.

One generator serves both layouts (they differ in period, header, invoice numbering, the
CustomerID text and the workbook's sheets). Lines are made chunk by chunk: each chunk covers
a slice of the period (see calendar), holds exactly its share of lines, and is written to
the CSV and the workbook before the next one is made, so memory stays flat.

Inside a chunk: baskets of regular sales first, then what the real data adds around them:
cancellations (mostly mirroring an earlier basket of the same customer), non-product lines
(postage, carriage, discounts, fees...), stock write-offs and zero-price adjustments without
customer, exact duplicate lines, bad-debt adjustments and bulk orders with their cancellation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from retail_warehouse.landing.specs import ONLINE_RETAIL_VERSIONS

from . import textcols
from .arrays import expand
from .calendar import (
    EXCEL_EPOCH_OFFSET_DAYS,
    SECONDS_PER_DAY,
    Calendar,
    Chunk,
    chunk_plan,
    epoch_seconds,
    months_of,
)
from .counting import add_counts
from .randomness import (
    STREAM_ONLINE_RETAIL_I,
    STREAM_ONLINE_RETAIL_II,
    cdf,
    count_at_rate,
    rng_for,
)
from .retail_catalogue import (
    ANONYMOUS_COUNTRY_SHARES,
    BAD_DEBT_CODE,
    CARRIAGE_COUNTRIES,
    COUNTRIES,
    COUNTRY_SHARES,
    GROUP_BASKET_SHARE,
    ODD_COUNTRIES,
    SERVICE_CODES,
    UNITED_KINGDOM,
    Catalogue,
    ServiceCode,
)
from .writers import (
    CODE,
    DATETIME,
    NUMBER,
    ONLINE_RETAIL_CSV,
    TEXT,
    XLSX_MAX_DATA_ROWS,
    CsvWriter,
    XlsxWriter,
)

CHUNK_LINES = 200_000
PREFIXES = ("", "C", "A")  # invoice kinds: sale, cancellation, bad-debt adjustment
SALE, CANCELLATION, ADJUSTMENT = 0, 1, 2
MISSING = 0  # description index of an empty Description
EVENT_LINES = {"bad_debt": 3, "bulk_order": 2}

# Shares of lines (the real file's rates).
CANCELLED_PRODUCT_LINE_RATE = 0.0165
MIRRORED_SHARE = 0.75  # the rest cancel purchases made before the chunk
WRITE_OFF_RATE = 0.00247
ZERO_PRICE_ADJUSTMENT_RATE = 0.0022
DUPLICATE_LINE_RATE = 0.0097
ANONYMOUS_INVOICE_SHARE = 0.12  # with bigger baskets this makes ~25% of lines
CUSTOMERS_PER_LINE = 1 / 124
BULK_QUANTITY_RANGE = (60_000, 90_000)

# Business hours 7-20h, busiest around noon; open Sunday to Friday, closed over Christmas.
RETAIL_HOURS = np.zeros(24)
RETAIL_HOURS[7:21] = [0.1, 1.6, 6.3, 9.0, 10.6, 14.4, 13.2, 12.4, 14.2, 10.0, 5.2, 1.5, 0.7, 0.16]
RETAIL_WEEKDAYS = np.array([1.0, 1.05, 1.0, 1.25, 0.85, 0.0, 0.6])  # Monday..Sunday
RETAIL_MONTHS = np.array([0.7, 0.65, 0.85, 0.75, 0.9, 0.85, 0.85, 0.85, 1.25, 1.4, 1.8, 1.2])


def retail_day_weight(year, month, day, weekday):
    closed = ((month == 12) & (day >= 23)) | ((month == 1) & (day <= 3))
    trend = 1.0 + 0.1 * (year - 2010 + (month - 1) / 12)
    return RETAIL_WEEKDAYS[weekday] * RETAIL_MONTHS[month - 1] * trend * ~closed


@dataclass(frozen=True)
class RetailLayout:
    """What differs between the Online Retail I and II files."""

    key: str  # name in the manifest
    csv_name: str
    xlsx_name: str
    header: tuple[str, ...]
    sheets: tuple[tuple[str, str | None], ...]  # (sheet name, first day of the next sheet)
    customer_id_suffix: str  # the II csv writes CustomerID as a float: '13085.0'
    first_day: str
    last_day: str
    first_invoice: int
    stream: int
    lines_per_requested_line: int  # II spans two years: twice the lines
    # (event, position in the period as a quantile)
    events: tuple[tuple[str, float], ...] = (("bulk_order", 0.09), ("bad_debt", 0.7), ("bulk_order", 0.9995))
    # The first day after the overlap of two sheets: a sheet also holds the next sheet's lines
    # dated before it, as the UCI Online Retail II workbook does ("Year 2009-2010" runs to
    # 2010-12-09, "Year 2010-2011" starts 2010-12-01: those days' lines are in both sheets).
    # The CSV holds each line once. None: the sheets do not overlap.
    sheet_overlap_until: str | None = None


ONLINE_RETAIL_I = RetailLayout(
    key="online_retail",
    csv_name="online_retail.csv",
    xlsx_name="Online Retail.xlsx",
    header=ONLINE_RETAIL_VERSIONS[0].source_columns,
    sheets=(("Online Retail", None),),
    customer_id_suffix="",
    first_day="2010-12-01",
    last_day="2011-12-09",
    first_invoice=536_365,
    stream=STREAM_ONLINE_RETAIL_I,
    lines_per_requested_line=1,
)
ONLINE_RETAIL_II = RetailLayout(
    key="online_retail_ii",
    csv_name="online_retail_II.csv",
    xlsx_name="online_retail_II.xlsx",
    header=ONLINE_RETAIL_VERSIONS[1].source_columns,
    sheets=(("Year 2009-2010", "2010-12-01"), ("Year 2010-2011", None)),
    sheet_overlap_until="2010-12-10",
    customer_id_suffix=".0",
    first_day="2009-12-01",
    last_day="2011-12-09",
    first_invoice=489_434,
    stream=STREAM_ONLINE_RETAIL_II,
    lines_per_requested_line=2,
)
XLSX_KINDS = (CODE, CODE, TEXT, NUMBER, DATETIME, NUMBER, NUMBER, TEXT)
TEXT_COLUMNS_POSITIONS = (0, 1, 2, 7)  # InvoiceNo, StockCode, Description, Country


def segment_sheets(layout: RetailLayout) -> tuple[list[str], list[tuple[int, ...]]]:
    """The days that cut the period into segments, and for each segment the workbook sheets
    its lines are written to: one sheet, or two in the overlap of two sheets."""
    cuts: list[str] = []
    segments: list[tuple[int, ...]] = [(0,)]
    for sheet, (_, next_sheet_start) in enumerate(layout.sheets[:-1]):
        cuts.append(next_sheet_start)
        if layout.sheet_overlap_until:
            cuts.append(layout.sheet_overlap_until)
            segments.append((sheet, sheet + 1))
        segments.append((sheet + 1,))
    return cuts, segments


@dataclass(frozen=True)
class CustomerBase:
    """Identified customers: loyal, churning (stop mid-period) and occasional (start late)."""

    ids: np.ndarray
    country: np.ndarray
    active_from: np.ndarray  # quantiles of the period
    active_to: np.ndarray
    favourite_groups: np.ndarray  # (n, 2) product groups the customer keeps buying from
    quantity_scale: np.ndarray  # wholesalers order more per line
    weight_cdf: np.ndarray

    @classmethod
    def build(cls, rng: np.random.Generator, n: int, catalogue: Catalogue) -> CustomerBase:
        loyal, churning = 0, 1
        kind = rng.choice(3, size=n, p=[0.12, 0.28, 0.60])
        kind[0] = loyal  # someone is always active, so sampling never runs dry
        weight = rng.lognormal(0.0, 0.8, n) * np.array([8.0, 3.0, 1.0])[kind]
        active_from = np.where(kind > churning, rng.uniform(0.0, 0.9, n), 0.0)
        active_to = np.where(kind == churning, rng.uniform(0.15, 0.75, n), 2.0)
        shares = np.array([share for _, share in COUNTRY_SHARES])
        country = rng.choice(len(COUNTRIES), size=n, p=shares / shares.sum())
        odd = rng.choice(np.arange(1, n), size=min(len(ODD_COUNTRIES), n - 1), replace=False)
        country[odd] = [COUNTRIES.index(name) for name in ODD_COUNTRIES[: len(odd)]]
        uk = country == COUNTRIES.index(UNITED_KINGDOM)
        return cls(
            ids=12_346 + rng.choice(int(n * 1.36) + 1, size=n, replace=False),
            country=country,
            active_from=active_from,
            active_to=active_to,
            favourite_groups=catalogue.draw_groups(rng, rng.integers(1, 13, size=2 * n)).reshape(n, 2),
            quantity_scale=rng.lognormal(0.0, 0.5, n) * np.where(uk, 1.0, 1.6),
            weight_cdf=cdf(weight),
        )

    def sample(self, rng: np.random.Generator, q: np.ndarray) -> np.ndarray:
        """A customer active at each quantile q, by weight (rejection sampling)."""
        chosen = np.zeros(len(q), dtype=np.int64)
        todo = np.arange(len(q))
        for _ in range(64):
            candidate = np.searchsorted(self.weight_cdf, rng.random(len(todo)), side="right") - 1
            ok = (self.active_from[candidate] <= q[todo]) & (q[todo] < self.active_to[candidate])
            chosen[todo[ok]] = candidate[ok]
            todo = todo[~ok]
            if len(todo) == 0:
                break
        return chosen  # any left over go to customer 0, who is always active


@dataclass
class RetailChunk:
    """Lines of one chunk, in file order."""

    prefix: np.ndarray
    number: np.ndarray
    time: np.ndarray
    code: np.ndarray  # catalogue code index
    description: np.ndarray  # catalogue description index (0 = missing)
    quantity: np.ndarray
    price: np.ndarray
    customer_id: np.ndarray  # -1 = missing
    country: np.ndarray
    next_invoice: int


class _ChunkBuilder:
    """Collects invoices and lines in any order; `finish` numbers invoices in time order."""

    def __init__(self, calendar: Calendar):
        self.calendar = calendar
        self._invoices: list[tuple[np.ndarray, ...]] = []
        self._lines: list[tuple[np.ndarray, ...]] = []
        self._n_invoices = 0

    def add_invoices(self, q, kind, customer_id, country) -> np.ndarray:
        q = np.atleast_1d(np.asarray(q, dtype=np.float64))
        n = len(q)
        self._invoices.append(
            (q, np.broadcast_to(kind, n), np.broadcast_to(customer_id, n), np.broadcast_to(country, n))
        )
        self._n_invoices += n
        return np.arange(self._n_invoices - n, self._n_invoices)

    def add_lines(self, invoice, position, code, description, quantity, price) -> None:
        invoice = np.atleast_1d(invoice)
        n = len(invoice)
        self._lines.append(
            tuple(np.broadcast_to(v, n) for v in (invoice, position, code, description, quantity, price))
        )

    def finish(self, rng: np.random.Generator, first_invoice: int) -> RetailChunk:
        q, kind, customer_id, country = (np.concatenate(parts) for parts in zip(*self._invoices))
        invoice, position, code, description, quantity, price = (np.concatenate(parts) for parts in zip(*self._lines))
        by_time = np.lexsort((np.arange(len(q)), q))
        rank = np.empty_like(by_time)
        rank[by_time] = np.arange(len(q))
        # Invoice numbers rise with time, with gaps (numbers used by other channels).
        steps = rng.geometric(0.57, len(q))
        numbers_in_time_order = first_invoice + np.cumsum(steps) - steps[0]
        line_order = np.lexsort((position, rank[invoice]))
        inv = invoice[line_order]
        return RetailChunk(
            prefix=kind[inv].astype(np.int8),
            number=numbers_in_time_order[rank[inv]],
            time=self.calendar.time_at(q)[inv],
            code=code[line_order].astype(np.int32),
            description=description[line_order].astype(np.int32),
            quantity=quantity[line_order].astype(np.int64),
            price=price[line_order].astype(np.float64),
            customer_id=customer_id[inv].astype(np.int64),
            country=country[inv].astype(np.int16),
            next_invoice=int(numbers_in_time_order[-1]) + 1,
        )


@dataclass
class _Sales:
    """The regular baskets of a chunk, kept for the quirks built on them."""

    invoice: np.ndarray  # builder invoice index per basket
    q: np.ndarray
    size: np.ndarray
    first_line: np.ndarray
    customer: np.ndarray  # CustomerBase index, -1 = anonymous
    country: np.ndarray
    line_basket: np.ndarray  # basket index per line
    line_position: np.ndarray
    code: np.ndarray
    description: np.ndarray
    quantity: np.ndarray
    price: np.ndarray


class RetailGenerator:
    """The world of one Online Retail layout (calendar, customers, catalogue) and its output forms."""

    def __init__(self, layout: RetailLayout, catalogue: Catalogue, seed: int, total_lines: int):
        self.layout = layout
        self.catalogue = catalogue
        self.seed = seed
        self.calendar = Calendar.build(
            layout.first_day, layout.last_day, retail_day_weight, RETAIL_HOURS, whole_minutes=True
        )
        n_customers = max(60, round(total_lines * CUSTOMERS_PER_LINE))
        self.customers = CustomerBase.build(rng_for(seed, layout.stream, 0), n_customers, catalogue)
        self.uk = COUNTRIES.index(UNITED_KINGDOM)
        self.anonymous_countries = np.array([COUNTRIES.index(name) for name, _ in ANONYMOUS_COUNTRY_SHARES])
        shares = np.array([share for _, share in ANONYMOUS_COUNTRY_SHARES])
        self.anonymous_country_p = shares / shares.sum()
        codes, descriptions = catalogue.csv_vocabularies()
        self._csv_vocabulary = {"code": codes, "description": descriptions, "country": pa.array(COUNTRIES)}
        codes, descriptions = catalogue.xlsx_vocabularies()
        self._xlsx_vocabulary = {"code": codes, "description": descriptions, "country": np.array(COUNTRIES, object)}

    def chunk(self, chunk: Chunk, first_invoice: int) -> RetailChunk:
        return _ChunkMaker(self, chunk).make(first_invoice)

    def customer_ids(self, customer: np.ndarray) -> np.ndarray:
        """CustomerID per CustomerBase index, -1 for anonymous."""
        return np.where(customer >= 0, self.customers.ids[np.maximum(customer, 0)], -1)

    def csv_columns(self, chunk: RetailChunk) -> list[pa.Array]:
        vocabulary = self._csv_vocabulary
        prefix = textcols.lookup(pa.array(PREFIXES), chunk.prefix)
        customer = textcols.integers(chunk.customer_id, chunk.customer_id < 0)
        if self.layout.customer_id_suffix:
            customer = pc.binary_join_element_wise(customer, self.layout.customer_id_suffix, "")
        return [
            pc.binary_join_element_wise(prefix, textcols.integers(chunk.number), ""),
            textcols.lookup(vocabulary["code"], chunk.code),
            textcols.lookup(vocabulary["description"], chunk.description),
            textcols.integers(chunk.quantity),
            textcols.timestamps(chunk.time),
            textcols.python_floats(chunk.price),
            customer,
            textcols.lookup(vocabulary["country"], chunk.country),
        ]

    def xlsx_columns(self, chunk: RetailChunk) -> list[list]:
        """Cell values: numbers where the UCI workbook has numbers, None for empty cells."""
        vocabulary = self._xlsx_vocabulary
        invoice = chunk.number.astype(object)
        for i in np.flatnonzero(chunk.prefix):
            invoice[i] = PREFIXES[chunk.prefix[i]] + str(chunk.number[i])
        customer = chunk.customer_id.astype(object)
        customer[chunk.customer_id < 0] = None
        return [
            invoice.tolist(),
            vocabulary["code"][chunk.code].tolist(),
            vocabulary["description"][chunk.description].tolist(),
            chunk.quantity.tolist(),
            (chunk.time / SECONDS_PER_DAY + EXCEL_EPOCH_OFFSET_DAYS).tolist(),
            chunk.price.tolist(),
            customer.tolist(),
            vocabulary["country"][chunk.country].tolist(),
        ]

    def chunk_plan(self, total: int) -> list[Chunk]:
        """Chunks of the layout; a chunk's segment indexes segment_sheets(layout)."""
        cuts, _ = segment_sheets(self.layout)
        return chunk_plan(total, CHUNK_LINES, [self.calendar.quantile_at(epoch_seconds(day)) for day in cuts])


class _ChunkMaker:
    """Makes the lines of one chunk: baskets first, then the quirks around them."""

    def __init__(self, world: RetailGenerator, chunk: Chunk):
        self.world = world
        self.catalogue = world.catalogue
        self.customers = world.customers
        self.chunk = chunk
        self.rng = rng_for(world.seed, world.layout.stream, chunk.index + 1)
        self.builder = _ChunkBuilder(world.calendar)

    def make(self, first_invoice: int) -> RetailChunk:
        rng, chunk = self.rng, self.chunk
        first = chunk.index == 0
        n = chunk.size
        counts = {
            "cancelled": count_at_rate(rng, n, CANCELLED_PRODUCT_LINE_RATE, at_least=first),
            "write_off": count_at_rate(rng, n, WRITE_OFF_RATE, at_least=first),
            "zero_price": count_at_rate(rng, n, ZERO_PRICE_ADJUSTMENT_RATE, at_least=first),
            "duplicate": count_at_rate(rng, n, DUPLICATE_LINE_RATE, at_least=first),
        }
        service = {code: count_at_rate(rng, n, code.rate) for code in SERVICE_CODES}
        events = [(name, q) for name, q in self.world.layout.events if chunk.q0 <= q < chunk.q1]
        event_lines = sum(EVENT_LINES[name] for name, _ in events)
        sale_lines = n - sum(counts.values()) - sum(service.values()) - event_lines
        if sale_lines < n // 2:  # tiny chunk: plain baskets only
            counts, service, events, sale_lines = dict.fromkeys(counts, 0), {}, [], n

        sales = self._add_sales(sale_lines, force_anonymous=first)
        self._add_service_lines(sales, service)
        self._add_cancellations(sales, counts["cancelled"])
        self._add_stock_adjustments(counts["write_off"], write_off=True)
        self._add_stock_adjustments(counts["zero_price"], write_off=False)
        self._add_duplicates(sales, counts["duplicate"])
        for name, q in events:
            if name == "bad_debt":
                self._add_bad_debt(q)
            else:
                self._add_bulk_order(q)
        return self.builder.finish(rng, first_invoice)

    # -- regular baskets ---------------------------------------------------------------

    def _add_sales(self, n_lines: int, force_anonymous: bool) -> _Sales:
        rng, customers = self.rng, self.customers
        size, anonymous = _basket_sizes(rng, n_lines)
        if force_anonymous and len(anonymous) > 1 and not anonymous.any():
            anonymous[0] = True  # keep missing CustomerIDs visible in small data
        q, times = self.world.calendar.sorted_times(rng, len(size), self.chunk.q0, self.chunk.q1)
        customer = np.full(len(size), -1)
        customer[~anonymous] = customers.sample(rng, q[~anonymous])
        anonymous_country = rng.choice(self.world.anonymous_countries, len(size), p=self.world.anonymous_country_p)
        country = np.where(anonymous, anonymous_country, customers.country[np.maximum(customer, 0)])
        invoice = self.builder.add_invoices(q, SALE, self.world.customer_ids(customer), country)

        # Each basket draws mostly from one product group: a favourite of the customer, or
        # (anonymous, or 40% of the time) a group popular in that month.
        seasonal_group = self.catalogue.draw_groups(rng, months_of(times))
        favourite = customers.favourite_groups[np.maximum(customer, 0), rng.integers(2, size=len(size))]
        group = np.where(anonymous | (rng.random(len(size)) < 0.4), seasonal_group, favourite)
        line_basket, line_position = expand(size)
        line_group = np.where(rng.random(n_lines) < GROUP_BASKET_SHARE, group[line_basket], -1)
        code = self._distinct_products(line_basket, self.catalogue.draw_in_groups(rng, line_group))
        quantity = self._quantities(code, customer[line_basket])
        # Dotcom (anonymous) orders pay retail prices, big orders get a wholesale discount.
        price = self.catalogue.base_price[code]
        wholesale = np.where(quantity >= 100, np.round(price * 0.85, 2), price)
        price = np.where(anonymous[line_basket], np.round(price * 1.3, 2), wholesale)
        description = self._descriptions(code)
        self.builder.add_lines(invoice[line_basket], 2 * line_position, code, description, quantity, price)
        return _Sales(
            invoice=invoice, q=q, size=size, first_line=np.cumsum(size) - size, customer=customer,
            country=country, line_basket=line_basket, line_position=line_position, code=code,
            description=description, quantity=quantity, price=price,
        )  # fmt: skip

    def _distinct_products(self, basket: np.ndarray, code: np.ndarray) -> np.ndarray:
        """Redraw repeated products within a basket, so only injected duplicates are exact copies."""
        code = code.copy()
        while True:
            order = np.lexsort((code, basket))
            repeated = (basket[order][1:] == basket[order][:-1]) & (code[order][1:] == code[order][:-1])
            if not repeated.any():
                return code
            redo = order[1:][repeated]
            code[redo] = self.rng.integers(0, self.catalogue.n_products, size=len(redo))

    def _descriptions(self, code: np.ndarray) -> np.ndarray:
        """The product's description, now and then another spelling of it."""
        alternate = self.catalogue.alternate_description[code]
        use_alternate = (alternate >= 0) & (self.rng.random(len(code)) < 0.3)
        return np.where(use_alternate, alternate, self.catalogue.product_description[code])

    def _quantities(self, code: np.ndarray, customer: np.ndarray) -> np.ndarray:
        """Pack multiples for trade customers; ones and twos for anonymous web shoppers."""
        rng = self.rng
        scale = self.customers.quantity_scale[np.maximum(customer, 0)]
        trade = self.catalogue.pack[code] * np.maximum(1, np.round(rng.geometric(0.6, len(code)) * scale))
        return np.where(customer >= 0, trade, rng.geometric(0.65, len(code))).astype(np.int64)

    def _own_invoices(self, count: int, kind: int, identified: bool) -> tuple[np.ndarray, np.ndarray]:
        """`count` invoices at random times of the chunk; (invoice, customer index or -1)."""
        q = self.rng.uniform(self.chunk.q0, self.chunk.q1, count)
        if identified:
            customer = self.customers.sample(self.rng, q)
            country = self.customers.country[customer]
        else:
            customer, country = np.full(count, -1), self.world.uk
        return self.builder.add_invoices(q, kind, self.world.customer_ids(customer), country), customer

    # -- lines around the baskets ---------------------------------------------------------

    def _add_service_lines(self, sales: _Sales, counts: dict[ServiceCode, int]) -> None:
        """Postage, carriage, fees...: on a fitting basket (or an invoice of their own when
        none is left), or for discounts, samples and fees as a one-line C invoice."""
        identified = sales.customer >= 0
        foreign = identified & (sales.country != self.world.uk)
        carriage = np.isin(sales.country, [COUNTRIES.index(name) for name in CARRIAGE_COUNTRIES])
        everything = np.ones(len(sales.size), dtype=bool)
        eligible = {
            "foreign": (foreign, everything),
            "carriage": (carriage, foreign, everything),
            "anonymous": (~identified, everything),
            "any": (everything,),
        }
        for order, (code, count) in enumerate(counts.items()):
            if count == 0:
                continue
            index = self.catalogue.service_index[code.code]
            description = self.catalogue.product_description[index]
            quantity = self.rng.choice([1, 1, 1, 2, 3], count) if code.code == "POST" else np.ones(count, np.int64)
            price = _service_prices(self.rng, code, count)
            if code.placement == "cancel":
                invoice, _ = self._own_invoices(count, CANCELLATION, code.identified)
                self.builder.add_lines(invoice, 0, index, description, -quantity, price)
                continue
            baskets = _pick_without_replacement(self.rng, eligible[code.placement], count)
            placed = len(baskets)
            position = 2 * (sales.size[baskets] + 1 + order)  # after the basket's products
            self.builder.add_lines(
                sales.invoice[baskets], position, index, description, quantity[:placed], price[:placed]
            )
            if placed < count:
                invoice, _ = self._own_invoices(count - placed, SALE, identified=False)
                self.builder.add_lines(invoice, 0, index, description, quantity[placed:], price[placed:])

    def _add_cancellations(self, sales: _Sales, count: int) -> None:
        """C invoices with negative quantities: most undo lines of an earlier basket of the
        same customer (same price), the rest cancel purchases from before the chunk."""
        remaining = count - self._add_mirrored_cancellations(sales, self.rng.binomial(count, MIRRORED_SHARE))
        if remaining == 0:
            return
        size, _ = _basket_sizes(self.rng, remaining, mean_size=1.6, anonymous_share=0.0)
        invoice, customer = self._own_invoices(len(size), CANCELLATION, identified=True)
        line_basket, line_position = expand(size)
        code = self._distinct_products(line_basket, self.catalogue.draw_in_groups(self.rng, np.full(remaining, -1)))
        quantity = self._quantities(code, customer[line_basket])
        self.builder.add_lines(
            invoice[line_basket], 2 * line_position, code, self._descriptions(code), -quantity,
            self.catalogue.base_price[code],
        )  # fmt: skip

    def _add_mirrored_cancellations(self, sales: _Sales, count: int) -> int:
        """Cancel the first lines of random identified baskets; returns the lines made."""
        rng = self.rng
        baskets = rng.permutation(np.flatnonzero(sales.customer >= 0))
        if count == 0 or len(baskets) == 0:
            return 0
        taken = np.minimum(sales.size[baskets], rng.geometric(0.45, len(baskets)))
        cumulative = np.cumsum(taken)
        used = min(int(np.searchsorted(cumulative, count)) + 1, len(baskets))
        baskets, taken = baskets[:used], taken[:used].copy()
        taken[-1] -= max(0, int(cumulative[used - 1]) - count)
        # Cancelled a little later (about half a day on average), within the chunk.
        q = sales.q[baskets]
        q_cancel = q + np.minimum(rng.exponential(0.002, used), (self.chunk.q1 - q) * rng.random(used))
        customer_id = self.world.customer_ids(sales.customer[baskets])
        invoice = self.builder.add_invoices(q_cancel, CANCELLATION, customer_id, sales.country[baskets])
        owner, offset = expand(taken)
        source = sales.first_line[baskets][owner] + offset
        quantity = sales.quantity[source]
        partial = rng.random(len(source)) < 0.15
        quantity = np.where(partial, np.ceil(quantity * rng.random(len(source))).astype(np.int64), quantity)
        self.builder.add_lines(
            invoice[owner], 2 * sales.line_position[source], sales.code[source], sales.description[source],
            -np.maximum(quantity, 1), sales.price[source],
        )  # fmt: skip
        return len(source)

    def _add_stock_adjustments(self, count: int, write_off: bool) -> None:
        """Price-0 lines without customer: write-offs (negative, often with a note instead
        of a description) or positive corrections (mostly without description)."""
        if count == 0:
            return
        rng = self.rng
        code = self.catalogue.draw_in_groups(rng, np.full(count, -1))
        product_description = self.catalogue.product_description[code]
        kind = rng.random(count)
        if write_off:
            note = rng.choice(self.catalogue.write_off_notes, size=count)
            description = np.where(kind < 0.45, MISSING, np.where(kind < 0.75, product_description, note))
            quantity = -rng.geometric(0.08, count)
        else:
            description = np.where(kind < 0.85, MISSING, product_description)
            quantity = rng.geometric(0.08, count)
        invoice, _ = self._own_invoices(count, SALE, identified=False)
        self.builder.add_lines(invoice, 0, code, description, quantity, 0.0)

    def _add_duplicates(self, sales: _Sales, count: int) -> None:
        """The same line written twice, right after itself (as in the real file)."""
        lines = self.rng.choice(len(sales.code), size=min(count, len(sales.code)), replace=False)
        self.builder.add_lines(
            sales.invoice[sales.line_basket[lines]], 2 * sales.line_position[lines] + 1, sales.code[lines],
            sales.description[lines], sales.quantity[lines], sales.price[lines],
        )  # fmt: skip

    def _add_bad_debt(self, q: float) -> None:
        """Three 'A' invoices a minute apart: a bad debt booked, then written off twice."""
        amount = round(float(self.rng.lognormal(np.log(BAD_DEBT_CODE.price_median), BAD_DEBT_CODE.price_sigma)), 2)
        index = self.catalogue.service_index[BAD_DEBT_CODE.code]
        q_three = q + min(2e-6, (self.chunk.q1 - q) / 4) * np.arange(3)
        invoice = self.builder.add_invoices(q_three, ADJUSTMENT, -1, self.world.uk)
        description = self.catalogue.product_description[index]
        self.builder.add_lines(invoice, 0, index, description, 1, np.array([amount, -amount, -amount]))

    def _add_bulk_order(self, q: float) -> None:
        """One huge order line (tens of thousands of a cheap item) and its cancellation."""
        rng = self.rng
        customer = self.customers.sample(rng, np.array([q]))[0]
        customer_id, country = self.customers.ids[customer], self.customers.country[customer]
        code = int(rng.choice(np.flatnonzero(self.catalogue.base_price <= 2.1)))
        quantity = int(rng.integers(*BULK_QUANTITY_RANGE))
        sale = self.builder.add_invoices(q, SALE, customer_id, country)
        cancel = self.builder.add_invoices(q + min(1e-5, (self.chunk.q1 - q) / 2), CANCELLATION, customer_id, country)
        price = round(float(self.catalogue.base_price[code]) * 0.85, 2)
        description = self.catalogue.product_description[code]
        invoices = np.concatenate([sale, cancel])
        self.builder.add_lines(invoices, 0, code, description, np.array([quantity, -quantity]), price)


def _basket_sizes(
    rng, n_lines: int, mean_size: float = 17.0, anonymous_share: float = ANONYMOUS_INVOICE_SHARE
) -> tuple[np.ndarray, np.ndarray]:
    """Invoice sizes adding up to exactly n_lines; anonymous (dotcom) baskets are bigger."""
    sizes, anonymous = [], []
    remaining = n_lines
    while remaining > 0:
        n = int(remaining / mean_size * 1.2) + 8
        anon = rng.random(n) < anonymous_share
        mean = np.where(anon, mean_size * 2.4, mean_size)
        size = np.clip(np.ceil(rng.lognormal(np.log(mean) - 0.5, 1.0)), 1, 400).astype(np.int64)
        cumulative = np.cumsum(size)
        used = min(int(np.searchsorted(cumulative, remaining)) + 1, n)
        size, anon = size[:used], anon[:used]
        size[-1] -= max(0, int(cumulative[used - 1]) - remaining)
        sizes.append(size)
        anonymous.append(anon)
        remaining -= int(size.sum())
    if not sizes:
        return np.zeros(0, np.int64), np.zeros(0, bool)
    return np.concatenate(sizes), np.concatenate(anonymous)


def _pick_without_replacement(rng, masks: Sequence[np.ndarray], count: int) -> np.ndarray:
    """Up to `count` baskets, from the first mask that has enough, else the largest."""
    best = max(masks, key=lambda mask: int(mask.sum()))
    mask = next((m for m in masks if m.sum() >= count), best)
    candidates = np.flatnonzero(mask)
    return rng.choice(candidates, size=min(count, len(candidates)), replace=False)


def _service_prices(rng, code: ServiceCode, count: int) -> np.ndarray:
    if code.price_sigma == 0:
        return np.full(count, code.price_median)
    return np.round(rng.lognormal(np.log(code.price_median), code.price_sigma, count), 2)


def count_quirks(chunk: RetailChunk, catalogue: Catalogue) -> dict:
    """What the chunk holds of each quirk, counted as a query on the file would count it."""
    cancelled = chunk.prefix == CANCELLATION
    # Every text field is a function of these (time and country of the invoice number).
    row_identity = pd.DataFrame(
        {"prefix": chunk.prefix, "number": chunk.number, "code": chunk.code, "description": chunk.description,
         "quantity": chunk.quantity, "price": chunk.price, "customer": chunk.customer_id}
    )  # fmt: skip
    service_codes = {index: code for code, index in catalogue.service_index.items()}
    codes, code_counts = np.unique(chunk.code[chunk.code >= catalogue.n_products], return_counts=True)
    countries, country_counts = np.unique(chunk.country, return_counts=True)
    weekday = (chunk.time // SECONDS_PER_DAY + 3) % 7  # 0 = Monday
    return {
        "lines": len(chunk.prefix),
        "cancellation_lines": int(cancelled.sum()),
        "cancellation_invoices": len(np.unique(chunk.number[cancelled])),
        "negative_quantity_lines": int((chunk.quantity < 0).sum()),
        "negative_quantity_not_cancellation": int(((chunk.quantity < 0) & ~cancelled).sum()),
        "missing_customer_id": int((chunk.customer_id < 0).sum()),
        "missing_description": int((chunk.description == MISSING).sum()),
        "description_with_edge_whitespace": int(catalogue.edge_whitespace[chunk.description].sum()),
        "zero_price": int((chunk.price == 0).sum()),
        "negative_price": int((chunk.price < 0).sum()),
        "bad_debt_lines": int((chunk.prefix == ADJUSTMENT).sum()),
        "duplicate_lines": int(row_identity.duplicated().sum()),
        "bulk_quantity_lines": int((np.abs(chunk.quantity) >= BULK_QUANTITY_RANGE[0]).sum()),
        "saturday_lines": int((weekday == 5).sum()),
        "non_product_lines": {service_codes[int(c)]: int(n) for c, n in zip(codes, code_counts)},
        "country_lines": {COUNTRIES[int(c)]: int(n) for c, n in zip(countries, country_counts)},
    }


def write_online_retail(
    out_dir: Path, layout: RetailLayout, catalogue: Catalogue, lines: int, seed: int, formats: Sequence[str]
) -> dict:
    """Write one layout's CSV and/or workbook; return its manifest entry (files, quirks, notes)."""
    total = lines * layout.lines_per_requested_line
    generator = RetailGenerator(layout, catalogue, seed, total)
    plan = generator.chunk_plan(total)
    _, segments = segment_sheets(layout)
    sheet_rows = [sum(c.size for c in plan if sheet in segments[c.segment]) for sheet in range(len(layout.sheets))]
    folder = out_dir / "online_retail"
    notes = []
    csv_writer = xlsx_writer = None
    if "csv" in formats:
        text_columns = [layout.header[i] for i in TEXT_COLUMNS_POSITIONS]
        csv_writer = CsvWriter(folder / layout.csv_name, layout.header, ONLINE_RETAIL_CSV, text_columns)
    if "xlsx" in formats and max(sheet_rows) <= XLSX_MAX_DATA_ROWS:
        sheet_names = [name for name, _ in layout.sheets]
        xlsx_writer = XlsxWriter(folder / layout.xlsx_name, sheet_names, layout.header, XLSX_KINDS)
    elif "xlsx" in formats:
        notes.append(f"{layout.xlsx_name} skipped: {max(sheet_rows):,} rows exceed a sheet's {XLSX_MAX_DATA_ROWS:,}")

    quirks: dict = {}
    next_invoice = layout.first_invoice
    for part in plan:
        chunk = generator.chunk(part, next_invoice)
        next_invoice = chunk.next_invoice
        if csv_writer:
            csv_writer.write(generator.csv_columns(chunk))
        if xlsx_writer:
            cells = generator.xlsx_columns(chunk)
            for sheet in segments[part.segment]:
                xlsx_writer.write(sheet, cells)
        add_counts(quirks, count_quirks(chunk, catalogue))

    files = {}
    if csv_writer:
        csv_writer.close()
        files[f"online_retail/{layout.csv_name}"] = {"rows": csv_writer.rows}
    if xlsx_writer:
        xlsx_writer.close()
        sheets = {name: rows for (name, _), rows in zip(layout.sheets, xlsx_writer.rows)}
        # Lines written to two sheets (the overlap): the workbook's rows less these are the lines.
        repeated = sum(c.size for c in plan if len(segments[c.segment]) > 1)
        files[f"online_retail/{layout.xlsx_name}"] = {
            "rows": sum(sheets.values()),
            "sheets": sheets,
            "rows_in_two_sheets": repeated,
        }
    return {"files": files, "quirks": quirks, "notes": notes}
