"""The real files recomputed apart from dbt: every figure the real-data tests expect, computed
once, in one place.

Everything here is plain DuckDB SQL (and pandas for the RFM scores) straight from the raw
files in ../shared/data: read_csv with every column as text, typed by hand. Nothing of the dbt
project is used (no model, macro or seed), so a mart that agrees with this module agrees with
an independent computation. Figures that ../shared/data/MANIFEST.md states are the MANIFEST_*
constants; figures it does not state are MEASURED (by this module, on the real files). The
tests of test_real_reference.py check the computation against both, so no expected figure of
the real-data tests is a bare number.

The rules, restated in plain words as the marts document them:
- Online Retail lines: exact duplicate lines (all eight values equal) count once (staging
  quarantines the later ones). A sale line is a line of an ordinary invoice (neither C nor A)
  with quantity > 0: quantity x price counts in gross sales. A line of a C invoice
  (cancellation or return) counts minus quantity x price in cancellations. Net revenue =
  gross sales - cancellations. Stock write-offs (quantity < 0 outside a C invoice, price 0) and
  bad-debt adjustments (A invoices) count nowhere. Postage and fees count; a product is a line
  whose stock code is none of the non-product codes.
- Online Retail orders: an invoice is a sale order when it is neither C nor A and not made of
  write-off lines only; its time is its earliest line's.
- Olist: every order is a sale order, whatever its status, timed by its purchase timestamp;
  net revenue = GMV = item prices of the orders neither canceled nor unavailable; freight
  apart. Customers are persons (customer_unique_id).
- Delivery: an order is measured when its status is delivered and it has a delivery date; on
  time = delivered on or before the estimated calendar day; delivery days = delivery day -
  purchase day.
- RFM: as of the day after the store's last order (of any kind); recency = as-of day - last
  sale day; frequency = sale orders kept (Olist: neither canceled nor unavailable, the one
  definition of a sale order the customer models share); monetary = net revenue of all the
  customer's orders.
  Scores 1 + floor(5 (rank - 1) / (n - 1)), capped at 5, ties sharing the lowest rank, ranked
  worst to best; FM = ceil((F + M) / 2); the segment from the R x FM grid.
"""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path

import duckdb
import pandas as pd

CENT = Decimal("0.01")

# --- ../shared/data/MANIFEST.md ------------------------------------------------------------
MANIFEST_OR_LINES = 541_909
MANIFEST_OR_DISTINCT_LINES = 536_641  # "541,909 - 536,641 distinct"
MANIFEST_OR_CUSTOMERS = 4_372
# Quantity x UnitPrice over the lines with Quantity > 0, UnitPrice > 0, not cancelled, exact
# duplicates included.
MANIFEST_OR_REVENUE = Decimal("10666684.54")
MANIFEST_OR_FIRST_DAY = date(2010, 12, 1)
MANIFEST_OR_LAST_DAY = date(2011, 12, 9)
MANIFEST_OLIST_ORDERS = 99_441
MANIFEST_OLIST_ITEMS = 112_650
MANIFEST_OLIST_PERSONS = 96_096
# customer_unique_ids with several customer_ids; a customer_id is one order, so these are
# the persons with several orders.
MANIFEST_OLIST_REPEAT_PERSONS = 2_997
MANIFEST_OLIST_DELIVERED = 96_478
MANIFEST_OLIST_DELIVERED_WITHOUT_DATE = 8
MANIFEST_OLIST_ORDERS_WITHOUT_ITEMS = 775
MANIFEST_OLIST_STATES = 27
MANIFEST_OLIST_LAST_PURCHASE_DAY = date(2018, 10, 17)
MANIFEST_OLIST_LAST_ESTIMATED_DELIVERY_DAY = date(2018, 11, 12)
# Rows per raw table (file); the reviews file is missing from the real data.
MANIFEST_ROWS = {
    "online_retail__invoice_lines": MANIFEST_OR_LINES,
    "olist__orders": MANIFEST_OLIST_ORDERS,
    "olist__customers": 99_441,
    "olist__order_items": MANIFEST_OLIST_ITEMS,
    "olist__order_payments": 103_886,
    "olist__products": 32_951,
    "olist__sellers": 3_095,
    "olist__geolocation": 1_000_163,
    "olist__product_category_name_translation": 71,
    "olist__order_reviews": 0,
}
# The outliers it names: Quantity +-80,995 and +-74,215, each sale with its cancellation.
MANIFEST_OR_OUTLIER_INVOICES = ("581483", "C581484", "541431", "C541433")

# --- measured by this module on the real files (MANIFEST.md does not state them) -------------
MEASURED = {
    "online_retail_net_revenue": Decimal("9737069.01"),
    # The positive line of the bad-debt invoice A563185 (MANIFEST names the negative ones).
    "online_retail_bad_debt_sales": Decimal("11062.06"),
    "online_retail_sale_orders": 20_725,
    # CustomerIDs whose invoices are all cancellations: in dim_customers, not in the RFM.
    "online_retail_cancellation_only_customers": 33,
    "online_retail_rfm_customers": 4_339,
    "olist_gmv": Decimal("13494400.74"),
    "olist_on_time_share": 0.9323,
    "olist_mean_delivery_days": 12.50,
    "best_month": {"online_retail": "2011-11", "olist": "2017-11"},  # by net revenue
    "busiest_weekday_hour": {"online_retail": "Wednesday 12", "olist": "Tuesday 14"},  # by sale orders
}

# Online Retail stock codes that are not products (postage, fees, manual lines, samples, ...).
NON_PRODUCT_STOCK_CODES = (
    "POST",
    "DOT",
    "M",
    "C2",
    "D",
    "S",
    "B",
    "BANK CHARGES",
    "AMAZONFEE",
    "CRUK",
    "PADS",
    "ADJUST",
    "ADJUST2",
    "TEST001",
    "TEST002",
)

# The Online Retail quirks marts.data_quality_issues counts (rule as it names it), as
# conditions on the distinct lines.
ONLINE_RETAIL_QUIRKS = {
    "cancellation line (invoice C...)": "is_cancellation",
    "negative quantity": "quantity < 0",
    "negative quantity outside a cancellation (stock write-off)": "quantity < 0 and not is_cancellation",
    "missing customer_id": "customer_id is null",
    "missing description": "description is null",
    "zero unit_price": "unit_price = 0",
    "negative unit_price (bad-debt adjustment)": "unit_price < 0",
    "bad-debt adjustment line (invoice A...)": "is_adjustment",
    "bulk outlier line (|quantity| >= 10000)": "abs(quantity) >= 10000",
    "country under a non-standard name (EIRE, RSA)": "country in ('EIRE', 'RSA')",
}

# The RFM segment grid, typed in again from the seed's documented rules: rows R 5..1,
# columns FM 1..5.
SEGMENT_GRID = {
    5: ["New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
    4: ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal Customers", "Loyal Customers"],
    3: ["About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    1: ["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
}


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT)


def rfm_score(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """1 + floor(5 (rank - 1) / (n - 1)), capped at 5; ties share the lowest rank."""
    ranks = values.rank(method="min", ascending=higher_is_better).astype(int)
    return ((5 * (ranks - 1)) // max(len(values) - 1, 1) + 1).clip(upper=5)


def tables_sql(data: Path) -> str:
    """The raw files as typed tables, and the orders and customers of both stores."""
    non_products = ", ".join(f"'{code}'" for code in NON_PRODUCT_STOCK_CODES)

    def olist(name: str) -> str:
        return f"read_csv('{data}/olist/{name}.csv.gz', header = true, all_varchar = true)"

    return f"""
        create table or_raw as
        select * from read_csv('{data}/online_retail/online_retail.csv.gz', header = true, all_varchar = true);

        create table or_lines as
        with typed as (
            select distinct
                InvoiceNo as invoice_no,
                StockCode as stock_code,
                Description as description,
                cast(Quantity as integer) as quantity,
                cast(InvoiceDate as timestamp) as invoiced_at,
                cast(UnitPrice as decimal(18, 4)) as unit_price,
                CustomerID as customer_id,
                Country as country
            from or_raw
        ),

        flagged as (
            select
                *,
                invoice_no like 'C%' as is_cancellation,
                invoice_no like 'A%' as is_adjustment,
                invoice_no not like 'C%' and invoice_no not like 'A%' and quantity > 0 as is_sale_line,
                upper(stock_code) not in ({non_products})
                    and upper(stock_code) not like 'GIFT\\_0001\\_%' escape '\\'
                    and upper(stock_code) not like 'DCGS%' as is_product
            from typed
        )

        select
            *,
            case when is_sale_line then quantity * unit_price else 0 end as gross_sales,
            case when is_cancellation then -quantity * unit_price else 0 end as cancellation,
            (case when is_sale_line then quantity * unit_price else 0 end)
                - (case when is_cancellation then -quantity * unit_price else 0 end) as net_revenue
        from flagged;

        create table or_invoices as
        select
            invoice_no,
            any_value(customer_id) as customer_id,
            min(invoiced_at) as ordered_at,
            case
                when invoice_no like 'C%' then 'cancellation'
                when invoice_no like 'A%' then 'adjustment'
                when bool_and(quantity < 0) then 'write_off'
                else 'sale'
            end as order_kind,
            sum(net_revenue) as net_revenue
        from or_lines
        group by invoice_no;

        create table olist_orders as
        select
            order_id,
            customer_id,
            order_status,
            cast(order_purchase_timestamp as timestamp) as purchased_at,
            cast(order_delivered_customer_date as timestamp) as delivered_at,
            cast(order_estimated_delivery_date as timestamp) as estimated_at
        from {olist("olist_orders_dataset")};

        create table olist_items as
        select order_id, cast(price as decimal(18, 2)) as price, cast(freight_value as decimal(18, 2)) as freight
        from {olist("olist_order_items_dataset")};

        create table olist_customers as
        select customer_id, customer_unique_id, customer_state
        from {olist("olist_customers_dataset")};

        create table olist_payments as
        select order_id, cast(payment_installments as integer) as installments
        from {olist("olist_order_payments_dataset")};

        create table olist_order_facts as
        with items as (
            select order_id, count(*) as item_count, sum(price) as item_price, sum(freight) as freight
            from olist_items group by order_id
        )

        select
            orders.order_id,
            customers.customer_unique_id as person,
            customers.customer_state as state,
            orders.order_status,
            orders.purchased_at,
            orders.delivered_at,
            orders.estimated_at,
            orders.order_status = 'delivered' as is_delivered,
            orders.order_status = 'delivered' and orders.delivered_at is not null as is_measured,
            case when orders.order_status = 'delivered' and orders.delivered_at is not null
                then cast(orders.delivered_at as date) <= cast(orders.estimated_at as date) end as is_on_time,
            case when orders.order_status = 'delivered' and orders.delivered_at is not null
                then cast(orders.delivered_at as date) - cast(orders.purchased_at as date) end as delivery_days,
            coalesce(items.item_count, 0) as item_count,
            coalesce(items.item_price, 0) as item_price,
            coalesce(items.freight, 0) as freight,
            case when orders.order_status in ('canceled', 'unavailable') then 0
                else coalesce(items.item_price, 0) end as gmv
        from olist_orders as orders
        inner join olist_customers as customers on orders.customer_id = customers.customer_id
        left join items on orders.order_id = items.order_id;

        create table all_orders as
        select
            'online_retail' as store, invoice_no as order_id, customer_id, ordered_at,
            cast(ordered_at as date) as order_date, order_kind, net_revenue,
            order_kind = 'sale' as is_kept_sale
        from or_invoices
        union all
        select
            'olist', order_id, person, purchased_at, cast(purchased_at as date), 'sale', gmv,
            order_status not in ('canceled', 'unavailable')
        from olist_order_facts;

        create table customers as
        with as_of as (
            select store, max(order_date) + 1 as as_of_date from all_orders group by store
        )

        select
            all_orders.store,
            all_orders.customer_id,
            as_of.as_of_date,
            min(all_orders.order_date) filter (where all_orders.is_kept_sale) as first_order_date,
            max(all_orders.order_date) filter (where all_orders.is_kept_sale) as last_order_date,
            count(*) filter (where all_orders.is_kept_sale) as frequency,
            coalesce(sum(all_orders.net_revenue), 0) as monetary
        from all_orders
        inner join as_of on all_orders.store = as_of.store
        where all_orders.customer_id is not null
        group by all_orders.store, all_orders.customer_id, as_of.as_of_date
        having count(*) filter (where all_orders.is_kept_sale) > 0;
    """


class RealReference:
    """The reference tables in an in-memory DuckDB, and each expected figure computed from
    them once (cached): the session-scoped `reference` fixture holds one for all the tests."""

    def __init__(self, data: Path):
        self.con = duckdb.connect()
        self.con.execute(tables_sql(data))

    def close(self) -> None:
        self.con.close()

    def query(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def row(self, sql: str) -> tuple:
        return self.con.execute(sql).fetchone()

    def scalar(self, sql: str):
        return self.row(sql)[0]

    # ---------------------------------------------------------------- Online Retail

    @cached_property
    def online_retail_counts(self) -> dict[str, int]:
        raw_lines, customers, invoices = self.row(
            "select count(*), count(distinct CustomerID), count(distinct InvoiceNo) from or_raw"
        )
        distinct_lines, lines_without_customer = self.row(
            "select count(*), count(*) filter (where customer_id is null) from or_lines"
        )
        return {
            "raw_lines": raw_lines,
            "distinct_lines": distinct_lines,
            "duplicate_lines": raw_lines - distinct_lines,
            "lines_without_customer": lines_without_customer,
            "invoices": invoices,
            "customers": customers,
            "cancellation_only_customers": self.scalar(
                """
                select count(*) from (
                    select customer_id from or_lines where customer_id is not null
                    group by customer_id having bool_and(is_cancellation)
                )
                """
            ),
            "sale_orders": self.scalar("select count(*) from or_invoices where order_kind = 'sale'"),
        }

    @cached_property
    def online_retail_amounts(self) -> dict[str, Decimal]:
        """Gross sales, cancellations and net revenue (also of the lines with a customer and of
        the product lines), and the MANIFEST's revenue reconciled with gross sales."""
        gross, cancellations, net, net_with_customer, product_net = self.row(
            """
            select
                sum(gross_sales), sum(cancellation), sum(net_revenue),
                sum(net_revenue) filter (where customer_id is not null),
                sum(net_revenue) filter (where is_product)
            from or_lines
            """
        )
        # The MANIFEST's definition, over the raw file (duplicates included) and the distinct lines.
        manifest_revenue = self.scalar(
            """
            select sum(quantity * unit_price) from (
                select InvoiceNo, cast(Quantity as integer) as quantity, cast(UnitPrice as decimal(18, 4)) as unit_price
                from or_raw
            )
            where quantity > 0 and unit_price > 0 and InvoiceNo not like 'C%'
            """
        )
        distinct_revenue = self.scalar(
            "select sum(quantity * unit_price) from or_lines where quantity > 0 and unit_price > 0 and not is_cancellation"
        )
        return {
            "gross_sales": gross,
            "cancellations": cancellations,
            "net_revenue": net,
            "net_revenue_with_customer": net_with_customer,
            "product_net_revenue": product_net,
            "manifest_revenue": manifest_revenue,
            "duplicate_sales": manifest_revenue - distinct_revenue,
            "bad_debt_sales": self.scalar(
                "select sum(quantity * unit_price) from or_lines where is_adjustment and quantity * unit_price > 0"
            ),
        }

    @cached_property
    def online_retail_quirk_counts(self) -> dict[str, int]:
        return {
            rule: self.scalar(f"select count(*) from or_lines where {condition}")
            for rule, condition in ONLINE_RETAIL_QUIRKS.items()
        }

    @cached_property
    def online_retail_sale_quantity_quartiles(self) -> tuple:
        """Q1, median, Q3 and maximum of the quantity of the sale lines."""
        return self.row(
            """
            select quantile_cont(quantity, 0.25), quantile_cont(quantity, 0.5), quantile_cont(quantity, 0.75),
                   max(quantity)
            from or_lines where is_sale_line
            """
        )

    @cached_property
    def online_retail_customer_products(self) -> int:
        """Distinct products bought (sale lines) per customer, summed over the customers."""
        return self.scalar(
            """
            select sum(products) from (
                select count(distinct stock_code) as products from or_lines
                where customer_id is not null and is_sale_line and is_product
                group by customer_id
            )
            """
        )

    # ---------------------------------------------------------------- Olist

    @cached_property
    def olist_counts(self) -> dict[str, int]:
        orders, persons, delivered, measured, on_time, late, without_items, states = self.row(
            """
            select
                count(*), count(distinct person), count(*) filter (where is_delivered),
                count(*) filter (where is_measured), count(*) filter (where is_on_time),
                count(*) filter (where not is_on_time), count(*) filter (where item_count = 0),
                count(distinct state)
            from olist_order_facts
            """
        )
        return {
            "orders": orders,
            "items": self.scalar("select count(*) from olist_items"),
            "persons": persons,
            # MANIFEST.md's figure: persons with more than one order of any status.
            "repeat_persons": self.scalar(
                "select count(*) from (select person from olist_order_facts group by person having count(*) > 1)"
            ),
            # The RFM's customers: persons with a sale order kept (neither canceled nor unavailable).
            "customers": self.scalar("select count(*) from customers where store = 'olist'"),
            "repeat_customers": self.scalar("select count(*) from customers where store = 'olist' and frequency > 1"),
            "delivered": delivered,
            "measured": measured,
            "on_time": on_time,
            "late": late,
            "orders_without_items": without_items,
            "states": states,
        }

    @cached_property
    def olist_amounts(self) -> dict[str, Decimal]:
        gmv, freight, item_price = self.row("select sum(gmv), sum(freight), sum(item_price) from olist_order_facts")
        return {"gmv": gmv, "freight": freight, "item_price": item_price}

    @cached_property
    def olist_on_time_share(self) -> float:
        return self.olist_counts["on_time"] / self.olist_counts["measured"]

    @cached_property
    def olist_mean_delivery_days(self) -> float:
        return self.scalar("select avg(delivery_days) from olist_order_facts")

    @cached_property
    def olist_by_state(self) -> dict[str, tuple]:
        """Per customer state: orders, delivered share, on-time share, mean delivery days."""
        return {
            state: values
            for state, *values in self.query(
                """
                select state, count(*), avg(cast(is_delivered as integer)), avg(cast(is_on_time as integer)),
                       avg(delivery_days)
                from olist_order_facts group by state
                """
            )
        }

    @cached_property
    def olist_mean_installments(self) -> float:
        """Mean over the RFM's Olist customers (persons with a sale order kept) of their orders'
        mean instalments (an order's most instalments)."""
        return self.scalar(
            """
            select avg(per_person) from (
                select facts.person, avg(payments.installments) as per_person
                from (
                    select order_id, max(installments) as installments from olist_payments group by order_id
                ) as payments
                inner join olist_order_facts as facts on payments.order_id = facts.order_id
                where facts.person in (select customer_id from customers where store = 'olist')
                group by facts.person
            )
            """
        )

    # ---------------------------------------------------------------- sales, both stores

    @cached_property
    def daily_net_revenue(self) -> dict[tuple[str, str], Decimal]:
        """(store, day) -> net revenue of the orders of that day, to the cent."""
        return {
            (store, str(day)): cents(net)
            for store, day, net in self.query("select store, order_date, sum(net_revenue) from all_orders group by all")
        }

    @cached_property
    def monthly_sale_orders(self) -> dict[tuple[str, str], int]:
        return {
            (store, str(month)): count
            for store, month, count in self.query(
                """
                select store, cast(date_trunc('month', order_date) as date), count(*)
                from all_orders where order_kind = 'sale' group by all
                """
            )
        }

    @cached_property
    def best_month(self) -> dict[str, str]:
        """Per store, the month of highest net revenue."""
        return dict(
            self.query(
                """
                select store, strftime(date_trunc('month', order_date), '%Y-%m') from all_orders
                group by store, date_trunc('month', order_date)
                qualify row_number() over (partition by store order by sum(net_revenue) desc) = 1
                """
            )
        )

    @cached_property
    def weekday_hour_sale_orders(self) -> dict[tuple[str, int, int], int]:
        """(store, ISO day of week, hour) -> sale orders placed then."""
        return {
            (store, day, hour): count
            for store, day, hour, count in self.query(
                """
                select store, isodow(ordered_at), hour(ordered_at), count(*)
                from all_orders where order_kind = 'sale' group by all
                """
            )
        }

    @cached_property
    def busiest_weekday_hour(self) -> dict[str, str]:
        """Per store, the weekday and hour with the most sale orders, as 'Wednesday 12'."""
        return dict(
            self.query(
                """
                select store, dayname(any_value(ordered_at)) || ' ' || hour(any_value(ordered_at))
                from all_orders where order_kind = 'sale'
                group by store, isodow(ordered_at), hour(ordered_at)
                qualify row_number() over (partition by store order by count(*) desc) = 1
                """
            )
        )

    @cached_property
    def fact_date_range(self) -> tuple[date, date]:
        """The first and last day any order refers to: Online Retail invoice days, Olist
        purchase, delivery and estimated delivery days."""
        return self.row(
            """
            select min(day), max(day) from (
                select cast(invoiced_at as date) as day from or_lines
                union all
                select cast(unnest([purchased_at, delivered_at, estimated_at]) as date) from olist_order_facts
            )
            """
        )

    # ---------------------------------------------------------------- customers, both stores

    @cached_property
    def as_of_dates(self) -> dict[str, date]:
        return dict(self.query("select distinct store, as_of_date from customers"))

    @cached_property
    def rfm(self) -> pd.DataFrame:
        """One row per customer with a sale order: recency, frequency, monetary, the scores
        and the segment."""
        frame = self.con.execute(
            """
            select store, customer_id, as_of_date, date_diff('day', last_order_date, as_of_date) as recency_days,
                   frequency, cast(monetary as double) as monetary
            from customers
            """
        ).df()
        parts = []
        for _, part in frame.groupby("store"):
            part = part.copy()
            part["r_score"] = rfm_score(part["recency_days"], higher_is_better=False)
            part["f_score"] = rfm_score(part["frequency"], higher_is_better=True)
            part["m_score"] = rfm_score(part["monetary"], higher_is_better=True)
            parts.append(part)
        rfm = pd.concat(parts)
        rfm["fm_score"] = [math.ceil((f + m) / 2) for f, m in zip(rfm["f_score"], rfm["m_score"])]
        rfm["rfm_segment"] = [SEGMENT_GRID[r][fm - 1] for r, fm in zip(rfm["r_score"], rfm["fm_score"])]
        return rfm

    @cached_property
    def customer_monetary_totals(self) -> dict[str, Decimal]:
        return {
            store: cents(total)
            for store, total in self.query("select store, sum(monetary) from customers group by store")
        }

    @cached_property
    def mean_days_between_orders(self) -> dict[str, float]:
        """Per store, the mean over repeat customers of their mean days between sale orders."""
        return dict(
            self.query(
                """
                select store, avg(date_diff('day', first_order_date, last_order_date) / (frequency - 1))
                from customers where frequency > 1 group by store
                """
            )
        )

    @cached_property
    def cohorts(self) -> dict[tuple[str, str, int], tuple[int, Decimal]]:
        """(store, cohort month, months since the first order) -> (customers with a sale order
        that month, net revenue of their orders), for the months with any order."""
        return {
            (store, str(cohort), int(months)): (int(active), cents(revenue))
            for store, cohort, months, active, revenue in self.query(
                """
                with indexed as (
                    select
                        all_orders.store,
                        all_orders.customer_id,
                        all_orders.is_kept_sale,
                        all_orders.net_revenue,
                        cast(date_trunc('month', customers.first_order_date) as date) as cohort,
                        greatest(0, (year(all_orders.order_date) - year(customers.first_order_date)) * 12
                            + month(all_orders.order_date) - month(customers.first_order_date)) as months
                    from all_orders
                    inner join customers
                        on all_orders.store = customers.store and all_orders.customer_id = customers.customer_id
                )
                select store, cohort, months,
                       count(distinct customer_id) filter (where is_kept_sale),
                       coalesce(sum(net_revenue), 0)
                from indexed group by all
                """
            )
        }

    @cached_property
    def cohort_sizes(self) -> dict[str, int]:
        """'store:first day of the cohort month' -> customers acquired that month."""
        return dict(
            self.query(
                "select store || ':' || strftime(date_trunc('month', first_order_date), '%Y-%m-%d'), count(*) "
                "from customers group by all"
            )
        )
