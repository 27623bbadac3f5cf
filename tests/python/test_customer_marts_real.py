"""The customer marts (RFM, segments, cohorts, features) on the real files in ../shared/data,
proven against an independent recomputation.

Everything expected is recomputed here from the raw `.csv.gz` files with plain DuckDB SQL
(read_csv, all columns as text, typed by hand) and pandas, written apart from the dbt models
and their macros. The warehouse comes from the `real_build` fixture (Online Retail from the
workbook, Olist from the CSVs). Definitions under test, restated in plain words:

- Customers: Online Retail CustomerIDs with at least one sale invoice (neither C nor A, and not
  made of negative-quantity write-off lines only); Olist persons (customer_unique_id), every
  order of any status being a sale order.
- as_of_date: the day after the store's last order (any invoice / order).
- recency_days = as_of_date - day of the last sale order; frequency = distinct sale orders;
  monetary = net revenue of all the customer's orders: Online Retail quantity x price of the
  lines of sale invoices with quantity > 0 plus that of C-invoice lines (negative); Olist item
  prices of orders neither canceled nor unavailable.
- Scores: 1 + floor(5 x (rank - 1) / (n - 1)), capped at 5, rank = lowest rank of ties,
  ordered worst to best; fm = ceil((f + m) / 2); segment from the R x FM grid below.
"""

from __future__ import annotations

import math
from decimal import Decimal

import duckdb
import pandas as pd
import pytest
from helpers import REAL_OLIST_DIR, REAL_ONLINE_RETAIL_CSV

pytestmark = pytest.mark.real_data

CENT = Decimal("0.01")

# The segment grid, typed in again from the seed's documented rules: rows R 5..1, columns FM 1..5.
SEGMENT_GRID = {
    5: ["New Customers", "Potential Loyalist", "Potential Loyalist", "Champions", "Champions"],
    4: ["Promising", "Potential Loyalist", "Potential Loyalist", "Loyal Customers", "Loyal Customers"],
    3: ["About To Sleep", "About To Sleep", "Need Attention", "Loyal Customers", "Loyal Customers"],
    2: ["Hibernating", "Hibernating", "At Risk", "At Risk", "Can't Lose Them"],
    1: ["Lost", "Lost", "At Risk", "At Risk", "Can't Lose Them"],
}

# Measured on the real files with this test's own recomputation (as of 2011-12-10 / 2018-10-18).
EXPECTED_CUSTOMERS = {"online_retail": 4_339, "olist": 96_096}
EXPECTED_OLIST_REPEAT_CUSTOMERS = 2_997


@pytest.fixture(scope="module")
def raw():
    """Per-customer orders recomputed from the raw files, with nothing of the dbt project."""
    con = duckdb.connect()
    con.execute(
        f"""
        -- Online Retail lines, typed by hand; exact duplicates collapsed as staging does.
        create table or_lines as
        select distinct
            InvoiceNo as invoice_no,
            CustomerID as customer_id,
            cast(Quantity as integer) as quantity,
            cast(UnitPrice as decimal(18, 4)) as unit_price,
            StockCode as stock_code,
            Description as description,
            cast(InvoiceDate as timestamp) as invoiced_at,
            Country as country
        from read_csv('{REAL_ONLINE_RETAIL_CSV}', header = true, all_varchar = true);

        create table or_invoices as
        select
            invoice_no,
            any_value(customer_id) as customer_id,
            cast(min(invoiced_at) as date) as order_date,
            case
                when invoice_no like 'C%' then 'cancellation'
                when invoice_no like 'A%' then 'adjustment'
                when bool_and(quantity < 0) then 'write_off'
                else 'sale'
            end as order_kind,
            sum(quantity * unit_price) filter (
                where invoice_no like 'C%' or (invoice_no not like 'A%' and quantity > 0)
            ) as net_revenue
        from or_lines
        group by invoice_no;

        create table olist_orders as
        select * from read_csv('{REAL_OLIST_DIR}/olist_orders_dataset.csv.gz', header = true, all_varchar = true);
        create table olist_items as
        select * from read_csv('{REAL_OLIST_DIR}/olist_order_items_dataset.csv.gz', header = true, all_varchar = true);
        create table olist_customers as
        select * from read_csv('{REAL_OLIST_DIR}/olist_customers_dataset.csv.gz', header = true, all_varchar = true);
        create table olist_payments as
        select * from read_csv('{REAL_OLIST_DIR}/olist_order_payments_dataset.csv.gz', header = true, all_varchar = true);

        create table olist_order_facts as
        select
            orders.order_id,
            customers.customer_unique_id as customer_id,
            cast(cast(orders.order_purchase_timestamp as timestamp) as date) as order_date,
            'sale' as order_kind,
            coalesce((
                select sum(cast(items.price as decimal(18, 2)))
                from olist_items as items
                where items.order_id = orders.order_id
                    and orders.order_status not in ('canceled', 'unavailable')
            ), 0) as net_revenue
        from olist_orders as orders
        inner join olist_customers as customers on orders.customer_id = customers.customer_id;

        create table all_orders as
        select 'online_retail' as store, invoice_no as order_id, customer_id, order_date, order_kind, net_revenue
        from or_invoices
        union all
        select 'olist', order_id, customer_id, order_date, order_kind, net_revenue from olist_order_facts;

        create table as_of as
        select store, max(order_date) + 1 as as_of_date from all_orders group by store;

        create table customers as
        select
            all_orders.store,
            all_orders.customer_id,
            as_of.as_of_date,
            min(order_date) filter (where order_kind = 'sale') as first_order_date,
            max(order_date) filter (where order_kind = 'sale') as last_order_date,
            count(*) filter (where order_kind = 'sale') as frequency,
            coalesce(sum(net_revenue), 0) as monetary
        from all_orders
        inner join as_of on all_orders.store = as_of.store
        where all_orders.customer_id is not null
        group by all_orders.store, all_orders.customer_id, as_of.as_of_date
        having count(*) filter (where order_kind = 'sale') > 0;
        """
    )
    yield con
    con.close()


def score(values: pd.Series, higher_is_better: bool) -> pd.Series:
    """1 + floor(5 (rank - 1) / (n - 1)), capped at 5; ties share the lowest rank."""
    ranks = values.rank(method="min", ascending=higher_is_better).astype(int)
    n = len(values)
    return ((5 * (ranks - 1)) // max(n - 1, 1) + 1).clip(upper=5)


@pytest.fixture(scope="module")
def expected_rfm(raw) -> pd.DataFrame:
    frame = raw.execute(
        """
        select store, customer_id, as_of_date, date_diff('day', last_order_date, as_of_date) as recency_days,
               frequency, cast(monetary as double) as monetary
        from customers
        """
    ).df()
    parts = []
    for _, part in frame.groupby("store"):
        part = part.copy()
        part["r_score"] = score(part["recency_days"], higher_is_better=False)
        part["f_score"] = score(part["frequency"], higher_is_better=True)
        part["m_score"] = score(part["monetary"], higher_is_better=True)
        parts.append(part)
    rfm = pd.concat(parts)
    rfm["fm_score"] = [math.ceil((f + m) / 2) for f, m in zip(rfm["f_score"], rfm["m_score"])]
    rfm["rfm_segment"] = [SEGMENT_GRID[r][fm - 1] for r, fm in zip(rfm["r_score"], rfm["fm_score"])]
    return rfm


@pytest.fixture(scope="module")
def mart_rfm(real_build) -> pd.DataFrame:
    with duckdb.connect(str(real_build.warehouse), read_only=True) as con:
        return con.execute("select * from marts.customer_rfm").df()


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT)


def test_customers_and_as_of_dates(real_build, expected_rfm, mart_rfm):
    """One row per customer with a sale order; the as-of date is the day after the last order."""
    counts = expected_rfm.groupby("store").size().to_dict()
    assert counts == EXPECTED_CUSTOMERS
    assert mart_rfm.groupby("store").size().to_dict() == counts
    as_of = {
        store: str(day) for store, day in real_build.query("select distinct store, as_of_date from marts.customer_rfm")
    }
    assert as_of == {"online_retail": "2011-12-10", "olist": "2018-10-18"}
    # Online Retail: the 33 customers with cancellations only are in dim_customers, not here.
    assert real_build.scalar("select count(*) from marts.dim_customers where store = 'online_retail'") == 4_339 + 33


def test_net_revenue_and_rfm_values(raw, real_build, mart_rfm, expected_rfm):
    """Per store: total monetary (net revenue) to the cent, means of recency, frequency and
    monetary, and every customer's three raw values."""
    totals = dict(raw.execute("select store, sum(monetary) from customers group by store").fetchall())
    mart_totals = dict(real_build.query("select store, sum(monetary) from marts.customer_rfm group by store"))
    assert {store: cents(total) for store, total in mart_totals.items()} == {
        store: cents(total) for store, total in totals.items()
    }
    # Olist net revenue of customers is the whole GMV (every order has a customer).
    assert cents(totals["olist"]) == Decimal("13494400.74")
    for store in ("online_retail", "olist"):
        exp = expected_rfm[expected_rfm.store == store].set_index("customer_id").sort_index()
        got = mart_rfm[mart_rfm.store == store].set_index("customer_id").sort_index()
        assert list(got.index) == list(exp.index)
        for column in ("recency_days", "frequency"):
            assert (got[column].astype(int) == exp[column].astype(int)).all(), column
            assert got[column].mean() == pytest.approx(exp[column].mean())
        assert ((got["monetary"].astype(float) - exp["monetary"]).abs() < 0.005).all()
        assert got["monetary"].astype(float).mean() == pytest.approx(exp["monetary"].mean())


def test_scores_and_segments(mart_rfm, expected_rfm):
    """Every customer's scores and segment, and the segment sizes per store."""
    merged = mart_rfm.merge(expected_rfm, on=["store", "customer_id"], suffixes=("", "_expected"))
    assert len(merged) == len(mart_rfm)
    for column in ("r_score", "f_score", "m_score", "fm_score", "rfm_segment"):
        assert (merged[column] == merged[f"{column}_expected"]).all(), column
    assert (merged["rfm_score"] == merged[["r_score", "f_score", "m_score"]].astype(str).agg("".join, axis=1)).all()
    expected_sizes = expected_rfm.groupby(["store", "rfm_segment"]).size().to_dict()
    assert mart_rfm.groupby(["store", "rfm_segment"]).size().to_dict() == expected_sizes


def test_olist_one_order_customers_share_one_frequency_score(mart_rfm, expected_rfm):
    """~97% of Olist persons buy once: they all score F = 1, every repeat customer F = 5."""
    olist = expected_rfm[expected_rfm.store == "olist"]
    repeat = int((olist["frequency"] > 1).sum())
    assert repeat == EXPECTED_OLIST_REPEAT_CUSTOMERS
    assert round(1 - repeat / len(olist), 3) == 0.969
    f_scores = mart_rfm[mart_rfm.store == "olist"].groupby("f_score").size().to_dict()
    assert f_scores == {1: len(olist) - repeat, 5: repeat}
    # So no one-order customer is a Champion, Loyal Customer or Can't Lose Them.
    one_order = mart_rfm[(mart_rfm.store == "olist") & (mart_rfm.frequency == 1)]
    assert not set(one_order["rfm_segment"]) & {"Champions", "Loyal Customers", "Can't Lose Them"}


def test_segment_summary(real_build, expected_rfm):
    rows = real_build.query(
        "select store, rfm_segment, customers, customer_share, net_revenue_amount, revenue_share, "
        "median_recency_days, median_frequency from marts.rfm_segment_summary"
    )
    assert len(rows) == 2 * 11
    for store, segment, customers, customer_share, revenue, revenue_share, median_recency, median_frequency in rows:
        part = expected_rfm[(expected_rfm.store == store) & (expected_rfm.rfm_segment == segment)]
        store_part = expected_rfm[expected_rfm.store == store]
        assert customers == len(part)
        assert customer_share == pytest.approx(len(part) / len(store_part))
        assert float(revenue) == pytest.approx(part["monetary"].sum(), abs=0.005)
        assert revenue_share == pytest.approx(part["monetary"].sum() / store_part["monetary"].sum())
        if len(part):
            assert median_recency == pytest.approx(part["recency_days"].median())
            assert median_frequency == pytest.approx(part["frequency"].median())


def test_cohorts(raw, real_build):
    """Cohort sizes, customers active per month since the first order, and revenue."""
    expected = {
        (store, str(cohort), int(months)): (int(active), cents(revenue))
        for store, cohort, months, active, revenue in raw.execute(
            """
            with indexed as (
                select
                    all_orders.store,
                    all_orders.customer_id,
                    all_orders.order_kind,
                    all_orders.net_revenue,
                    cast(date_trunc('month', customers.first_order_date) as date) as cohort,
                    greatest(0, (year(all_orders.order_date) - year(customers.first_order_date)) * 12
                        + month(all_orders.order_date) - month(customers.first_order_date)) as months
                from all_orders
                inner join customers
                    on all_orders.store = customers.store and all_orders.customer_id = customers.customer_id
            )
            select store, cohort, months,
                   count(distinct customer_id) filter (where order_kind = 'sale'),
                   coalesce(sum(net_revenue), 0)
            from indexed group by all
            """
        ).fetchall()
    }
    got = {
        (store, str(cohort), months): (active, cents(revenue))
        for store, cohort, months, active, revenue in real_build.query(
            "select store, cohort_month, months_since_first_order, active_customers, net_revenue_amount "
            "from marts.customer_cohorts"
        )
    }
    # Every month with activity is in the mart with the same figures; the others are zeros.
    assert {key: got[key] for key in expected} == expected
    assert all(value == (0, Decimal("0.00")) for key, value in got.items() if key not in expected)
    sizes = dict(
        raw.execute(
            "select store || ':' || strftime(date_trunc('month', first_order_date), '%Y-%m-%d'), count(*) "
            "from customers group by all"
        ).fetchall()
    )
    mart_sizes = dict(
        real_build.query(
            "select distinct store || ':' || strftime(cohort_month, '%Y-%m-%d'), cohort_customers from marts.customer_cohorts"
        )
    )
    assert mart_sizes == sizes
    # Full curves: Online Retail's first cohort has months 0..12, Olist's last cohort month 0 only.
    assert (
        real_build.scalar(
            "select max(months_since_first_order) from marts.customer_cohorts "
            "where store = 'online_retail' and cohort_month = '2010-12-01'"
        )
        == 12
    )


def test_features(raw, real_build, expected_rfm):
    """customer_features: one row per RFM customer with the same raw values, and products,
    gaps between orders, deliveries and instalments recomputed."""
    assert real_build.scalar("select count(*) from marts.customer_features") == len(expected_rfm)
    assert real_build.scalar(
        "select count(*) from marts.customer_features as f inner join marts.customer_rfm as r "
        "on f.customer_key = r.customer_key and f.recency_days = r.recency_days "
        "and f.frequency = r.frequency and f.monetary = r.monetary"
    ) == len(expected_rfm)

    or_products = raw.execute(
        """
        select sum(products) from (
            select customer_id, count(distinct stock_code) as products
            from or_lines
            where customer_id is not null and invoice_no not like 'C%' and invoice_no not like 'A%' and quantity > 0
                and upper(stock_code) not in (
                    'POST', 'DOT', 'M', 'C2', 'D', 'S', 'B', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'PADS',
                    'ADJUST', 'ADJUST2', 'TEST001', 'TEST002'
                )
                and upper(stock_code) not like 'GIFT\\_0001\\_%' escape '\\' and upper(stock_code) not like 'DCGS%'
            group by customer_id
        )
        """
    ).fetchone()[0]
    assert (
        real_build.scalar(
            "select sum(distinct_product_count) from marts.customer_features where store = 'online_retail'"
        )
        == or_products
    )

    gaps = raw.execute(
        """
        select store, avg(date_diff('day', first_order_date, last_order_date) / (frequency - 1))
        from customers where frequency > 1 group by store
        """
    ).fetchall()
    for store, mean_gap in gaps:
        assert real_build.scalar(
            "select avg(mean_days_between_orders) from marts.customer_features where store = ?", [store]
        ) == pytest.approx(mean_gap)

    late, delivered = raw.execute(
        """
        select
            count(*) filter (
                where cast(cast(order_delivered_customer_date as timestamp) as date)
                    > cast(cast(order_estimated_delivery_date as timestamp) as date)
            ),
            count(*)
        from olist_orders
        where order_status = 'delivered' and order_delivered_customer_date is not null
        """
    ).fetchone()
    assert real_build.query(
        "select sum(late_delivery_count), sum(delivered_order_count) from marts.customer_features where store = 'olist'"
    )[0] == (late, delivered)

    mean_installments = raw.execute(
        """
        select avg(per_customer) from (
            select customers.customer_unique_id, avg(order_installments) as per_customer
            from (
                select order_id, max(cast(payment_installments as integer)) as order_installments
                from olist_payments group by order_id
            ) as payments
            inner join olist_orders as orders on payments.order_id = orders.order_id
            inner join olist_customers as customers on orders.customer_id = customers.customer_id
            group by customers.customer_unique_id
        )
        """
    ).fetchone()[0]
    assert real_build.scalar(
        "select avg(mean_installments) from marts.customer_features where store = 'olist'"
    ) == pytest.approx(mean_installments)

    # The reviews file is absent from the real data: no review feature.
    assert real_build.scalar("select count(mean_review_score) from marts.customer_features") == 0
    # Olist-only features are null for Online Retail.
    assert (
        real_build.scalar(
            "select count(*) from marts.customer_features where store = 'online_retail' "
            "and (distinct_category_count is not null or late_delivery_count is not null or mean_installments is not null)"
        )
        == 0
    )
