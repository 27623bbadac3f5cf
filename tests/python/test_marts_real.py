"""The Kimball marts on the real files in ../shared/data, proven against independent sums.

Every expected figure is recomputed here with plain DuckDB SQL straight from the raw
`.csv.gz` files (read_csv, all columns as text, typed by hand), written apart from the dbt
models and their macros, or taken from ../shared/data/MANIFEST.md. The warehouse comes from
the `real_build` fixture (Online Retail from the workbook, Olist from the CSVs; the
pipeline tests prove that the workbook and the CSV give the same staged lines).

Revenue definition under test (macros/revenue.sql), restated here in plain words:
- Online Retail: gross sales = quantity x price of the lines of ordinary invoices (neither
  C nor A) with quantity > 0; cancellations = minus quantity x price of the C-invoice lines;
  net revenue = gross sales - cancellations. Stock write-offs (negative quantity outside a
  C invoice, price 0) and bad-debt adjustments (A invoices) count nowhere. Postage and fees
  count. Exact duplicate lines are quarantined by staging, so they count once.
- Olist: net revenue = GMV = sum of item prices of the orders whose status is neither
  canceled nor unavailable; freight apart.
"""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from helpers import REAL_OLIST_DIR, REAL_ONLINE_RETAIL_CSV

pytestmark = pytest.mark.real_data

CENT = Decimal("0.01")

# ../shared/data/MANIFEST.md
MANIFEST_OR_CUSTOMERS = 4_372
MANIFEST_OR_REVENUE = Decimal("10666684.54")  # qty > 0, price > 0, not C; raw file, duplicates included
MANIFEST_OR_DUPLICATE_LINES = 5_268
MANIFEST_OLIST_PERSONS = 96_096
MANIFEST_OLIST_DELIVERED = 96_478


@pytest.fixture(scope="module")
def raw():
    """The raw files as text tables, with nothing of the dbt project."""
    con = duckdb.connect()
    con.execute(
        f"""
        create table or_raw as
        select * from read_csv('{REAL_ONLINE_RETAIL_CSV}', header = true, all_varchar = true);

        -- The same lines typed by hand; exact duplicates (all eight values equal) collapsed,
        -- as staging keeps the first of them and quarantines the others.
        create table or_lines as
        select distinct
            InvoiceNo as invoice_no,
            CustomerID as customer_id,
            cast(Quantity as integer) as quantity,
            cast(UnitPrice as decimal(18, 4)) as unit_price,
            StockCode as stock_code,
            Description as description,
            InvoiceDate as invoice_date,
            Country as country
        from or_raw;

        create table olist_orders as
        select * from read_csv('{REAL_OLIST_DIR}/olist_orders_dataset.csv.gz', header = true, all_varchar = true);
        create table olist_items as
        select * from read_csv('{REAL_OLIST_DIR}/olist_order_items_dataset.csv.gz', header = true, all_varchar = true);
        create table olist_customers as
        select * from read_csv('{REAL_OLIST_DIR}/olist_customers_dataset.csv.gz', header = true, all_varchar = true);
        """
    )
    yield con
    con.close()


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def cents(value) -> Decimal:
    return Decimal(value).quantize(CENT)


# ------------------------------------------------------------------ Online Retail


def test_online_retail_customers(real_build, raw):
    """Every CustomerID of the file is a customer: dropping exact duplicate lines removes no
    customer, and the 33 customers with cancellations only are kept (their cancellation
    invoices point at them), so the dimension holds all 4,372."""
    raw_customers = scalar(raw, "select count(distinct CustomerID) from or_raw")
    assert raw_customers == MANIFEST_OR_CUSTOMERS
    assert real_build.scalar("select count(*) from marts.dim_customers where store = 'online_retail'") == raw_customers
    cancellation_only = scalar(
        raw,
        """
        select count(*) from (
            select customer_id from or_lines where customer_id is not null
            group by customer_id having bool_and(invoice_no like 'C%')
        )
        """,
    )
    assert (
        real_build.scalar(
            "select count(*) from marts.dim_customers where store = 'online_retail' and first_order_at is null"
        )
        == cancellation_only
    )


def test_online_retail_net_revenue(real_build, raw):
    """Net revenue recomputed from the raw file, and reconciled with the MANIFEST figure.

    MANIFEST 10,666,684.54 is quantity x price over the raw file's lines with quantity > 0,
    price > 0 and no C invoice, exact duplicates included. Our gross sales differ by two
    amounts: the 5,268 exact duplicate lines, which staging quarantines (24,573.74 of sales
    among them), and the positive bad-debt adjustment A563185 (11,062.06), which is an
    accounting entry, not a sale. Gross sales 10,631,048.74 - cancellations 893,979.73 =
    net revenue 9,737,069.01 (GBP).
    """
    manifest_revenue = scalar(
        raw,
        """
        select sum(cast(Quantity as integer) * cast(UnitPrice as decimal(18, 4))) from or_raw
        where cast(Quantity as integer) > 0 and cast(UnitPrice as decimal(18, 4)) > 0 and InvoiceNo not like 'C%'
        """,
    )
    assert cents(manifest_revenue) == MANIFEST_OR_REVENUE
    assert scalar(raw, "select count(*) from or_raw") - scalar(raw, "select count(*) from or_lines") == (
        MANIFEST_OR_DUPLICATE_LINES
    )
    duplicate_sales = manifest_revenue - scalar(
        raw,
        """
        select sum(quantity * unit_price) from or_lines
        where quantity > 0 and unit_price > 0 and invoice_no not like 'C%'
        """,
    )
    bad_debt_sales = scalar(
        raw, "select sum(quantity * unit_price) from or_lines where invoice_no like 'A%' and quantity * unit_price > 0"
    )

    gross, cancellations, net, net_with_customer, product_net = raw.execute(
        """
        select
            sum(quantity * unit_price) filter (
                where invoice_no not like 'C%' and invoice_no not like 'A%' and quantity > 0
            ),
            sum(-quantity * unit_price) filter (where invoice_no like 'C%'),
            sum(quantity * unit_price) filter (
                where (invoice_no not like 'C%' and invoice_no not like 'A%' and quantity > 0)
                or invoice_no like 'C%'
            ),
            sum(quantity * unit_price) filter (
                where customer_id is not null
                and ((invoice_no not like 'C%' and invoice_no not like 'A%' and quantity > 0) or invoice_no like 'C%')
            ),
            sum(quantity * unit_price) filter (
                where ((invoice_no not like 'C%' and invoice_no not like 'A%' and quantity > 0) or invoice_no like 'C%')
                and upper(stock_code) not in (
                    'POST', 'DOT', 'M', 'C2', 'D', 'S', 'B', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'PADS',
                    'ADJUST', 'ADJUST2', 'TEST001', 'TEST002'
                )
                and upper(stock_code) not like 'GIFT\\_0001\\_%' escape '\\'
                and upper(stock_code) not like 'DCGS%'
            )
        from or_lines
        """
    ).fetchone()
    # The reconciliation with the MANIFEST, to the cent.
    assert cents(manifest_revenue - duplicate_sales - bad_debt_sales) == cents(gross)
    assert cents(bad_debt_sales) == Decimal("11062.06")
    assert cents(net) == cents(gross - cancellations) == Decimal("9737069.01")

    lines = real_build.query(
        """
        select sum(gross_sales_amount), sum(cancellation_amount), sum(net_revenue_amount),
               sum(net_revenue_amount) filter (where customer_key is not null),
               sum(net_revenue_amount) filter (where is_product)
        from marts.fct_order_lines where store = 'online_retail'
        """
    )[0]
    assert [cents(value) for value in lines] == [
        cents(value) for value in (gross, cancellations, net, net_with_customer, product_net)
    ]
    orders = real_build.query(
        """
        select sum(gross_sales_amount), sum(cancellation_amount), sum(net_revenue_amount)
        from marts.fct_orders where store = 'online_retail'
        """
    )[0]
    assert [cents(value) for value in orders] == [cents(gross), cents(cancellations), cents(net)]


def test_online_retail_grain(real_build, raw):
    """One fct_order_lines row per usable line, one fct_orders row per invoice; lines without
    a customer stay in the facts."""
    assert real_build.scalar("select count(*) from marts.fct_order_lines where store = 'online_retail'") == scalar(
        raw, "select count(*) from or_lines"
    )
    assert real_build.scalar("select count(*) from marts.fct_orders where store = 'online_retail'") == scalar(
        raw, "select count(distinct InvoiceNo) from or_raw"
    )
    assert real_build.scalar(
        "select count(*) from marts.fct_order_lines where store = 'online_retail' and customer_key is null"
    ) == scalar(raw, "select count(*) from or_lines where customer_id is null")


def test_online_retail_countries_are_standardised(real_build):
    countries = {
        name
        for (name,) in real_build.query(
            "select distinct country_name from marts.fct_orders where store = 'online_retail'"
        )
    }
    assert {"Ireland", "South Africa", "Unspecified", "European Community"} <= countries
    assert not {"EIRE", "RSA"} & countries


# ------------------------------------------------------------------ Olist


def test_olist_customers_are_persons(real_build, raw):
    persons = scalar(raw, "select count(distinct customer_unique_id) from olist_customers")
    assert persons == MANIFEST_OLIST_PERSONS
    assert real_build.scalar("select count(*) from marts.dim_customers where store = 'olist'") == persons
    assert (
        real_build.scalar("select count(distinct customer_key) from marts.fct_orders where store = 'olist'") == persons
    )


def test_olist_delivered_orders_and_on_time_share(real_build, raw):
    """On time = delivered on or before the estimated delivery day (calendar days), over the
    orders with status delivered and a delivery date (8 delivered orders have none)."""
    delivered = scalar(raw, "select count(*) from olist_orders where order_status = 'delivered'")
    assert delivered == MANIFEST_OLIST_DELIVERED
    assert (
        real_build.scalar("select count(*) from marts.fct_orders where store = 'olist' and order_status = 'delivered'")
        == delivered
    )

    measured, on_time = raw.execute(
        """
        select
            count(*),
            count(*) filter (
                where cast(cast(order_delivered_customer_date as timestamp) as date)
                    <= cast(cast(order_estimated_delivery_date as timestamp) as date)
            )
        from olist_orders
        where order_status = 'delivered' and order_delivered_customer_date is not null
        """
    ).fetchone()
    assert measured == delivered - 8
    mart_measured, mart_on_time = real_build.query(
        "select count(is_on_time), count(*) filter (where is_on_time) from marts.fct_orders where store = 'olist'"
    )[0]
    assert (mart_measured, mart_on_time) == (measured, on_time)
    share = on_time / measured
    assert round(share, 4) == 0.9323  # measured on the real files
    mart_share = real_build.scalar(
        "select avg(cast(is_on_time as integer)) from marts.fct_orders where store = 'olist'"
    )
    assert mart_share == pytest.approx(share)


def test_olist_gmv(real_build, raw):
    """GMV = item prices of the orders neither canceled nor unavailable; freight apart."""
    gmv, freight, gross = raw.execute(
        """
        select
            sum(cast(items.price as decimal(18, 2))) filter (
                where orders.order_status not in ('canceled', 'unavailable')
            ),
            sum(cast(items.freight_value as decimal(18, 2))),
            sum(cast(items.price as decimal(18, 2)))
        from olist_items as items
        inner join olist_orders as orders on items.order_id = orders.order_id
        """
    ).fetchone()
    assert cents(gmv) == Decimal("13494400.74")  # measured on the real files
    lines = real_build.query(
        """
        select sum(net_revenue_amount), sum(freight_amount), sum(gross_sales_amount)
        from marts.fct_order_lines where store = 'olist'
        """
    )[0]
    assert [cents(value) for value in lines] == [cents(gmv), cents(freight), cents(gross)]
    assert cents(
        real_build.scalar("select sum(net_revenue_amount) from marts.fct_orders where store = 'olist'")
    ) == cents(gmv)


def test_olist_grain_and_payment_reconciliation(real_build, raw):
    """Every order is in fct_orders (also the 775 without items), every item a line, and the
    orders whose payments differ from items + freight are those data_quality_issues counts."""
    assert real_build.scalar("select count(*) from marts.fct_orders where store = 'olist'") == scalar(
        raw, "select count(*) from olist_orders"
    )
    assert real_build.scalar("select count(*) from marts.fct_orders where store = 'olist' and line_count = 0") == 775
    assert real_build.scalar("select count(*) from marts.fct_order_lines where store = 'olist'") == scalar(
        raw, "select count(*) from olist_items"
    )
    not_reconciled = real_build.scalar(
        "select count(*) from marts.fct_orders where store = 'olist' and not is_payment_reconciled"
    )
    assert not_reconciled == real_build.scalar(
        "select rows from marts.data_quality_issues "
        "where rule = 'payments total differs from items price + freight by more than 0.01'"
    )


def test_reviews_mart_builds_empty_without_the_reviews_file(real_build):
    assert real_build.scalar("select count(*) from marts.fct_order_reviews") == 0


def test_date_dimension_covers_every_fact_date(real_build):
    first_day, last_day, days = real_build.query("select min(date_day), max(date_day), count(*) from marts.dim_date")[0]
    # First order 2010-12-01 (a Wednesday) and last estimated delivery 2018-11-12, widened
    # to whole weeks and months: from Monday 2010-11-29 to 2018-11-30.
    assert (str(first_day), str(last_day)) == ("2010-11-29", "2018-11-30")
    assert days == (last_day - first_day).days + 1
