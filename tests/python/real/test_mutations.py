"""The mutation suite: real rows of ../shared/data, mutated to break each property the data
tests assert about input rows, built, and checked against a build of the same rows unmutated.

Each mutation must end as a quarantine rule (the row in marts.quarantine with its reason) or a
flag (counted in marts.data_quality_issues), never as a failed build: both builds publish,
conservation holds, and every order the mutations did not touch keeps its figures.

The inputs are a small real subset (the first six weeks of Online Retail plus its bad-debt
adjustments; the first Olist orders with their customers, items and payments, every product
and seller, the geolocation rows of their zip prefixes) so that the two builds, without the ML
models, take a few minutes. The real Olist reviews file is absent, so reviews are not mutated.
"""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import REAL_OLIST_DIR, REAL_ONLINE_RETAIL_CSV, Build, require_real_data, require_success, run_dbt_build

# Six weeks the store sold in (the Christmas break has no sale): enough for a closed weekday
# (no sale in at least 0.8 of them) to hold with one mutated Saturday sale.
OR_FIRST_DAY, OR_END_DAY = "2010-12-01", "2011-01-16"
OR_SATURDAY = "2010-12-11"
OLIST_ORDERS = 2000
UNKNOWN_ID = "f" * 32

OR_TABLE = "online_retail__invoice_lines"


def read_csv(path: Path) -> tuple[list[str], list[dict]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_csv(path: Path, header: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@dataclass
class Subset:
    """The real rows of one build: Online Retail lines and the Olist tables by file stem."""

    or_header: list[str]
    or_lines: list[dict]
    olist: dict[str, tuple[list[str], list[dict]]]

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True)
        online_retail = folder / "online_retail.csv"
        write_csv(online_retail, self.or_header, self.or_lines)
        olist = folder / "olist"
        olist.mkdir()
        for stem, (header, rows) in self.olist.items():
            write_csv(olist / f"{stem}.csv", header, rows)
        return online_retail, olist


def real_subset() -> Subset:
    or_header, lines = read_csv(REAL_ONLINE_RETAIL_CSV)
    or_lines = [
        line
        for line in lines
        if OR_FIRST_DAY <= line["InvoiceDate"][:10] <= OR_END_DAY or line["InvoiceNo"].startswith("A")
    ]
    tables = {path.name.removesuffix(".csv.gz"): read_csv(path) for path in sorted(REAL_OLIST_DIR.glob("*.csv.gz"))}
    orders_header, orders = tables["olist_orders_dataset"]
    orders = orders[:OLIST_ORDERS]
    order_ids = {order["order_id"] for order in orders}
    customer_ids = {order["customer_id"] for order in orders}

    def rows_of(stem, keep):
        header, rows = tables[stem]
        return header, [row for row in rows if keep(row)]

    olist = {
        "olist_orders_dataset": (orders_header, orders),
        "olist_customers_dataset": rows_of("olist_customers_dataset", lambda row: row["customer_id"] in customer_ids),
        "olist_order_items_dataset": rows_of("olist_order_items_dataset", lambda row: row["order_id"] in order_ids),
        "olist_order_payments_dataset": rows_of(
            "olist_order_payments_dataset", lambda row: row["order_id"] in order_ids
        ),
        "olist_products_dataset": tables["olist_products_dataset"],
        "olist_sellers_dataset": tables["olist_sellers_dataset"],
        "product_category_name_translation": tables["product_category_name_translation"],
    }
    zip_prefixes = {row["customer_zip_code_prefix"] for row in olist["olist_customers_dataset"][1]} | {
        row["seller_zip_code_prefix"] for row in olist["olist_sellers_dataset"][1]
    }
    olist["olist_geolocation_dataset"] = rows_of(
        "olist_geolocation_dataset", lambda row: row["geolocation_zip_code_prefix"] in zip_prefixes
    )
    return Subset(or_header, or_lines, olist)


@dataclass
class Mutated:
    """The mutated subset, what each mutation must produce, and the orders it touched."""

    subset: Subset
    quarantined: list[tuple[str, str, str]] = field(default_factory=list)  # table, record_key, reason
    flagged: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, rule) -> rows added
    touched_orders: set[str] = field(default_factory=set)  # order_key


def mutate(subset: Subset) -> Mutated:
    """Each mutation changes real rows in place (a copy of the subset)."""
    import copy

    mutated = Mutated(copy.deepcopy(subset))
    lines = mutated.subset.or_lines
    olist = mutated.subset.olist

    def line_where(condition):
        return next(line for line in lines if condition(line) and not line.get("_mutated"))

    def quarantine_line(line, reason, **changes):
        line.update(changes)
        line["_mutated"] = True
        mutated.quarantined.append((OR_TABLE, f"{line['InvoiceNo']} / {line['StockCode']}", reason))
        mutated.touched_orders.add(f"online_retail:{line['InvoiceNo']}")

    invoice_sizes: dict[str, int] = {}
    for line in lines:
        invoice_sizes[line["InvoiceNo"]] = invoice_sizes.get(line["InvoiceNo"], 0) + 1

    def sale(line) -> bool:
        return line["InvoiceNo"].isdigit() and int(line["Quantity"]) > 0 and float(line["UnitPrice"]) > 0

    # A cancellation (invoice C...) with a positive quantity.
    cancellation = line_where(lambda line: line["InvoiceNo"].startswith("C"))
    quarantine_line(
        cancellation,
        "cancellation line (invoice C...) with a positive quantity",
        Quantity=str(abs(int(cancellation["Quantity"]))),
    )
    # A negative-value order line: a negative price outside a bad-debt adjustment.
    quarantine_line(line_where(sale), "negative unit_price outside a bad-debt adjustment", UnitPrice="-2.55")
    # A 13-digit barcode typed into the price: quantity x price overflows DECIMAL(18, 4).
    quarantine_line(
        line_where(sale),
        "quantity x unit_price beyond +/-10^12 (a code typed into a number?)",
        UnitPrice="5012345678901",
    )
    # A line dated decades before the rest of its invoice.
    quarantine_line(
        line_where(lambda line: sale(line) and invoice_sizes[line["InvoiceNo"]] > 3),
        "invoice_date more than a day from the rest of its invoice",
        InvoiceDate="1971-12-01 08:26:00",
    )
    # A one-line invoice dated decades before the store's other lines.
    quarantine_line(
        line_where(lambda line: sale(line) and invoice_sizes[line["InvoiceNo"]] == 1),
        "invoice_date more than a year before the store's other lines",
        InvoiceDate="1971-12-01 08:26:00",
    )
    # A sale on a Saturday, a weekday Online Retail is closed in every other week of the subset:
    # a real order, kept and flagged.
    saturday_sale = line_where(lambda line: sale(line) and invoice_sizes[line["InvoiceNo"]] == 1)
    saturday_sale.update(InvoiceDate=f"{OR_SATURDAY} {saturday_sale['InvoiceDate'][11:]}", _mutated=True)
    mutated.touched_orders.add(f"online_retail:{saturday_sale['InvoiceNo']}")
    mutated.flagged[(OR_TABLE, "sale order on a weekday the store is normally closed (kept)")] = 1
    # A bad-debt adjustment (invoice A...) with a quantity: kept (no amount), flagged.
    adjustment = line_where(lambda line: line["InvoiceNo"].startswith("A"))
    adjustment.update(Quantity="5", _mutated=True)
    mutated.touched_orders.add(f"online_retail:{adjustment['InvoiceNo']}")
    mutated.flagged[
        (OR_TABLE, "bad-debt adjustment line with a quantity other than 1 (not a sale: excluded from amounts)")
    ] = 1
    for line in lines:
        line.pop("_mutated", None)

    orders = olist["olist_orders_dataset"][1]
    items = olist["olist_order_items_dataset"][1]
    payments = olist["olist_order_payments_dataset"][1]
    customers = olist["olist_customers_dataset"][1]
    items_by_order: dict[str, list[dict]] = {}
    for item in items:
        items_by_order.setdefault(item["order_id"], []).append(item)
    payments_by_order: dict[str, list[dict]] = {}
    for payment in payments:
        payments_by_order.setdefault(payment["order_id"], []).append(payment)
    used: set[str] = set()

    def order_where(condition) -> dict:
        order = next(
            order
            for order in orders
            if order["order_id"] not in used
            and condition(order)
            and len(items_by_order.get(order["order_id"], [])) == 1
            and len(payments_by_order.get(order["order_id"], [])) == 1
        )
        used.add(order["order_id"])
        mutated.touched_orders.add(f"olist:{order['order_id']}")
        return order

    def flag(table, rule):
        mutated.flagged[(table, rule)] = mutated.flagged.get((table, rule), 0) + 1

    def delivered(order) -> bool:
        return order["order_status"] == "delivered" and bool(order["order_delivered_customer_date"])

    order = order_where(delivered)
    order["order_delivered_customer_date"] = "2015-01-01 10:00:00"
    flag("olist__orders", "order delivered before its purchase day (delivery not measured)")
    order = order_where(lambda order: order["order_approved_at"])
    order["order_approved_at"] = "2015-01-01 10:00:00"
    flag("olist__orders", "order approved before its purchase")
    order_where(delivered)["order_status"] = "in_review"
    flag("olist__orders", "order_status not among the known values")

    for column, value, reason in (
        ("freight_value", "-3.50", "negative freight_value"),
        ("seller_id", "", "missing seller_id"),
        ("product_id", "", "missing product_id"),
    ):
        item = items_by_order[order_where(delivered)["order_id"]][0]
        item[column] = value
        mutated.quarantined.append(("olist__order_items", f"{item['order_id']} / 1", reason))
    items_by_order[order_where(delivered)["order_id"]][0]["product_id"] = UNKNOWN_ID
    flag("olist__order_items", "item of a product missing from the products file")
    items_by_order[order_where(delivered)["order_id"]][0]["seller_id"] = UNKNOWN_ID
    flag("olist__order_items", "item of a seller missing from the sellers file")

    payments_by_order[order_where(delivered)["order_id"]][0]["payment_sequential"] = "3"
    flag("olist__order_payments", "order whose payment_sequential numbers have gaps")
    payments_by_order[order_where(delivered)["order_id"]][0]["payment_type"] = "pix"
    flag("olist__order_payments", "payment_type not among the known values")

    # A customer in a zip prefix the geolocation file does not know.
    customer_id = order_where(delivered)["customer_id"]
    next(customer for customer in customers if customer["customer_id"] == customer_id)["customer_zip_code_prefix"] = (
        "99999"
    )
    flag("olist__customers", "customer zip prefix missing from geolocation")

    # An order quarantined for a malformed timestamp: its item and payment follow it.
    order = order_where(delivered)
    order["order_purchase_timestamp"] = "02/10/2017 10:56"
    mutated.quarantined += [
        ("olist__orders", order["order_id"], "order_purchase_timestamp is not a timestamp (YYYY-MM-DD HH:MM:SS)"),
        ("olist__order_items", f"{order['order_id']} / 1", "order quarantined"),
        ("olist__order_payments", f"{order['order_id']} / 1", "order quarantined"),
    ]
    return mutated


@dataclass
class Builds:
    clean: Build
    mutated: Build
    expected: Mutated


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> Builds:
    require_real_data()
    subset = real_subset()
    mutated = mutate(subset)
    results = []
    for name, rows in (("clean", subset), ("mutated", mutated.subset)):
        tmp = tmp_path_factory.mktemp(f"mutations_{name}")
        online_retail, olist = rows.write(tmp / "inputs")
        results.append(
            require_success(
                run_dbt_build(tmp / "build", online_retail_path=online_retail, olist_dir=olist, with_ml=False)
            )
        )
    return Builds(*results, mutated)


def test_both_builds_publish(builds):
    assert builds.clean.published and builds.mutated.published


def test_every_mutated_row_is_quarantined_with_its_reason(builds):
    found = {
        (table, key): reason
        for table, key, reason in builds.mutated.query(
            "select source_table, record_key, quarantine_reason from marts.quarantine"
        )
    }
    for table, key, reason in builds.expected.quarantined:
        assert found.get((table, key)) == reason, (table, key, found.get((table, key)))


def flag_counts(build: Build) -> dict[tuple[str, str], int]:
    return {
        (table, rule): rows
        for table, rule, rows in build.query(
            "select source_table, rule, rows from marts.data_quality_issues where issue_kind = 'flagged'"
        )
    }


def test_every_mutated_real_event_is_kept_and_flagged(builds):
    clean, mutated = flag_counts(builds.clean), flag_counts(builds.mutated)
    for key, added in builds.expected.flagged.items():
        assert mutated[key] - clean[key] == added, key


def test_conservation_holds(builds):
    for build in (builds.clean, builds.mutated):
        rows = build.query("select source_table, raw_rows, staged_rows, quarantined_rows from marts.row_conservation")
        assert rows and all(raw == staged + quarantined for _, raw, staged, quarantined in rows)


def test_orders_the_mutations_did_not_touch_keep_their_figures(builds):
    columns = (
        "order_key, order_type, order_status, line_count, gross_sales_amount, cancellation_amount, "
        "net_revenue_amount, freight_amount, payment_total_amount, delivery_days, delay_days"
    )
    touched = sorted(builds.expected.touched_orders)
    figures = [
        set(build.query(f"select {columns} from marts.fct_orders where not list_contains(?, order_key)", [touched]))
        for build in (builds.clean, builds.mutated)
    ]
    assert len(figures[0]) > 2000
    assert figures[0] == figures[1]


def test_contradictory_dates_are_not_measured(builds):
    """The order delivered before its purchase is kept, without a delivery time."""
    delivery = builds.mutated.query(
        "select delivery_days from marts.fct_orders "
        "where store = 'olist' and cast(delivered_to_customer_at as date) < cast(purchased_at as date)"
    )
    assert delivery == [(None,)]
