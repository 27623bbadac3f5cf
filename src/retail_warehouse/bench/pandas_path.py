"""The pandas path of `make bench`: the core marts of floor.sql as a notebook computes them
(read the files with pandas, clean, groupby), to measure the warehouse against it.

Same rules as floor.sql (quarantine checks, line types, revenue, RFM scores, daily sales by
overall / country / state); tests/python/warehouse/test_bench_references.py checks the marts agree on a small set.

python -m retail_warehouse.bench.pandas_path --online-retail FILE.csv --olist-dir DIR [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from .floor import SEEDS_DIR

NON_PRODUCT_CODES = {
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
}
CANCELLED_OLIST_STATUSES = {"canceled", "unavailable"}
MART_NAMES = ("fct_order_lines", "fct_orders", "customer_rfm", "sales_daily")


def read_text_csv(path: Path) -> pd.DataFrame:
    """Every column as text, empty fields as missing (as DuckDB reads them)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])


def blank_to_na(values: pd.Series) -> pd.Series:
    stripped = values.str.strip()
    return stripped.mask(stripped == "")


def to_cents(values: pd.Series) -> pd.Series:
    """Money as integer ten-thousandths (decimal(18, 4) in SQL), so sums are exact."""
    numbers = pd.to_numeric(values, errors="coerce")
    return (numbers * 10_000).round().astype("Int64")


def clean_online_retail(raw: pd.DataFrame, max_event_timestamp: pd.Timestamp) -> pd.DataFrame:
    lines = pd.DataFrame(
        {
            "invoice_no": raw["InvoiceNo"].str.strip(),
            "stock_code": raw["StockCode"].str.strip(),
            "description": blank_to_na(raw["Description"]),
            "quantity": pd.to_numeric(raw["Quantity"].str.strip(), errors="coerce").astype("Int64"),
            "invoiced_at": pd.to_datetime(raw["InvoiceDate"].str.strip(), format="%Y-%m-%d %H:%M:%S", errors="coerce"),
            "unit_price": to_cents(raw["UnitPrice"].str.strip()),
            "customer_id": raw["CustomerID"].str.strip().str.replace(r"\.0+$", "", regex=True),
            "country": blank_to_na(raw["Country"]),
        }
    )
    usable = (
        lines["invoice_no"].notna()
        & lines["stock_code"].notna()
        & lines["quantity"].notna()
        & lines["invoiced_at"].notna()
        & lines["unit_price"].notna()
        & lines["customer_id"].fillna("0").str.fullmatch(r"[0-9]+")
        & (lines["invoiced_at"] < max_event_timestamp)
        & (lines["quantity"] != 0)
        & ~((lines["unit_price"] < 0) & ~lines["invoice_no"].str.startswith("A"))
        & ~lines.duplicated(keep="first")
    )
    lines = lines[usable.fillna(False).astype(bool)].copy()
    lines["line_type"] = np.select(
        [lines["invoice_no"].str.startswith("A"), lines["invoice_no"].str.startswith("C"), lines["quantity"] < 0],
        ["bad_debt_adjustment", "cancellation", "stock_write_off"],
        "sale",
    )
    code = lines["stock_code"].str.upper()
    lines["is_product"] = ~(
        code.isin(NON_PRODUCT_CODES) | code.str.startswith("GIFT_0001_") | code.str.startswith("DCGS")
    )
    return lines


def online_retail_order_lines(lines: pd.DataFrame, country_names: pd.DataFrame) -> pd.DataFrame:
    invoices = lines.groupby("invoice_no", sort=False)
    return pd.DataFrame(
        {
            "store": "online_retail",
            "order_id": lines["invoice_no"],
            "line_number": invoices.cumcount() + 1,
            "customer_id": lines["customer_id"],
            "product_id": lines["stock_code"],
            "ordered_at": invoices["invoiced_at"].transform("min"),
            "line_type": lines["line_type"],
            "is_product": lines["is_product"],
            "quantity": lines["quantity"],
            "unit_price": lines["unit_price"],
            "line_amount": lines["quantity"] * lines["unit_price"],
            "country_name": lines["country"].map(country_names).fillna(lines["country"]),
        }
    )


def clean_olist(olist_dir: Path, max_event_timestamp: pd.Timestamp) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    raw_orders = read_text_csv(olist_dir / "olist_orders_dataset.csv")
    orders = pd.DataFrame(
        {
            "order_id": blank_to_na(raw_orders["order_id"]),
            "customer_id": blank_to_na(raw_orders["customer_id"]),
            "order_status": blank_to_na(raw_orders["order_status"]).str.lower(),
            "purchased_at": pd.to_datetime(blank_to_na(raw_orders["order_purchase_timestamp"]), errors="coerce"),
        }
    )
    timestamps_valid = pd.Series(True, index=raw_orders.index)
    for column in (
        "order_approved_at",
        "order_delivered_carrier_date",
        "order_delivered_customer_date",
        "order_estimated_delivery_date",
    ):
        text = blank_to_na(raw_orders[column])
        timestamps_valid &= text.isna() | pd.to_datetime(text, errors="coerce").notna()
    orders = orders[
        orders["order_id"].notna()
        & ~orders["order_id"].duplicated(keep="first")
        & orders["customer_id"].notna()
        & orders["purchased_at"].notna()
        & timestamps_valid
        & (orders["purchased_at"] < max_event_timestamp)
    ].copy()
    orders["is_cancelled"] = orders["order_status"].isin(CANCELLED_OLIST_STATUSES)

    raw_customers = read_text_csv(olist_dir / "olist_customers_dataset.csv")
    zip_text = blank_to_na(raw_customers["customer_zip_code_prefix"])
    customers = pd.DataFrame(
        {
            "customer_id": blank_to_na(raw_customers["customer_id"]),
            "customer_unique_id": blank_to_na(raw_customers["customer_unique_id"]),
            "customer_state": blank_to_na(raw_customers["customer_state"]).str.upper(),
        }
    )
    # A state code is two letters; anything else is kept as null (base_olist__customers).
    is_state_readable = customers["customer_state"].str.fullmatch("[A-Z]{2}").fillna(False).astype(bool)
    customers["customer_state"] = customers["customer_state"].where(is_state_readable)
    customers = customers[
        customers["customer_id"].notna()
        & ~customers["customer_id"].duplicated(keep="first")
        & customers["customer_unique_id"].notna()
        & (zip_text.isna() | zip_text.str.fullmatch(r"[0-9]{1,5}").fillna(False).astype(bool))
    ]

    raw_items = read_text_csv(olist_dir / "olist_order_items_dataset.csv")
    items = pd.DataFrame(
        {
            "order_id": blank_to_na(raw_items["order_id"]),
            "order_item_number": pd.to_numeric(blank_to_na(raw_items["order_item_id"]), errors="coerce").astype(
                "Int64"
            ),
            "product_id": blank_to_na(raw_items["product_id"]),
            "seller_id": blank_to_na(raw_items["seller_id"]),
            "item_price": to_cents(blank_to_na(raw_items["price"])),
            "freight_value": to_cents(blank_to_na(raw_items["freight_value"])),
        }
    )
    shipping_text = blank_to_na(raw_items["shipping_limit_date"])
    freight_text = blank_to_na(raw_items["freight_value"])
    items = items[
        items["order_id"].notna()
        & items["order_item_number"].notna()
        & (items["order_item_number"] >= 1).fillna(False).astype(bool)
        & ~items.duplicated(["order_id", "order_item_number"], keep="first")
        & (shipping_text.isna() | pd.to_datetime(shipping_text, errors="coerce").notna())
        & items["item_price"].notna()
        & (freight_text.isna() | items["freight_value"].notna())
        # An item names its seller and its product (base_olist__order_items).
        & items["seller_id"].notna()
        & items["product_id"].notna()
        & (items["item_price"] >= 0)
        & ~(items["freight_value"] < 0).fillna(False).astype(bool)
    ]
    return orders, customers, items


def olist_order_lines(orders: pd.DataFrame, customers: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    located = orders.merge(customers, how="left", on="customer_id")
    lines = items.merge(located, how="left", on="order_id")
    return pd.DataFrame(
        {
            "store": "olist",
            "order_id": lines["order_id"],
            "line_number": lines["order_item_number"],
            "customer_id": lines["customer_unique_id"],
            "product_id": lines["product_id"],
            "ordered_at": lines["purchased_at"],
            "line_type": np.where(lines["order_status"].isin(CANCELLED_OLIST_STATUSES), "cancelled_sale", "sale"),
            "is_product": True,
            "quantity": 1,
            "unit_price": lines["item_price"],
            "line_amount": lines["item_price"],
            "country_name": "Brazil",
        }
    )


def with_revenue(lines: pd.DataFrame) -> pd.DataFrame:
    amount = lines["line_amount"]
    kind = lines["line_type"]
    zero = pd.Series(0, index=lines.index, dtype="Int64")
    lines["gross_sales_amount"] = amount.where(kind.isin(["sale", "cancelled_sale"]), zero)
    lines["cancellation_amount"] = (-amount).where(kind == "cancellation", amount.where(kind == "cancelled_sale", zero))
    lines["net_revenue_amount"] = amount.where(kind.isin(["sale", "cancellation"]), zero)
    lines["order_key"] = lines["store"] + ":" + lines["order_id"]
    lines["customer_key"] = lines["store"] + ":" + lines["customer_id"]
    lines["order_date"] = lines["ordered_at"].dt.normalize()
    return lines.drop(columns="line_amount")


def build_orders(lines: pd.DataFrame, olist_orders: pd.DataFrame, olist_customers: pd.DataFrame) -> pd.DataFrame:
    flags = lines.assign(
        is_bad_debt=lines["line_type"] == "bad_debt_adjustment",
        is_cancellation=lines["line_type"] == "cancellation",
        is_write_off=lines["line_type"] == "stock_write_off",
        product_line=lines["is_product"].astype(int),
    )
    totals = flags.groupby("order_key", sort=False).agg(
        customer_id=("customer_id", "min"),
        ordered_at=("ordered_at", "min"),
        country_name=("country_name", "min"),
        has_bad_debt=("is_bad_debt", "any"),
        has_cancellation=("is_cancellation", "any"),
        only_write_offs=("is_write_off", "all"),
        line_count=("order_key", "size"),
        product_line_count=("product_line", "sum"),
        total_quantity=("quantity", "sum"),
        gross_sales_amount=("gross_sales_amount", "sum"),
        cancellation_amount=("cancellation_amount", "sum"),
        net_revenue_amount=("net_revenue_amount", "sum"),
    )
    retail = totals[totals.index.str.startswith("online_retail:")].reset_index()
    retail_orders = pd.DataFrame(
        {
            "order_key": retail["order_key"],
            "store": "online_retail",
            "customer_id": retail["customer_id"],
            "order_type": np.select(
                [retail["has_bad_debt"], retail["has_cancellation"], retail["only_write_offs"]],
                ["bad_debt_adjustment", "cancellation", "stock_write_off"],
                "sale",
            ),
            "is_cancelled": retail["has_cancellation"],
            "ordered_at": retail["ordered_at"],
            "country_name": retail["country_name"],
            "state": None,
        }
    )
    located = olist_orders.merge(olist_customers, how="left", on="customer_id")
    olist = pd.DataFrame(
        {
            "order_key": "olist:" + located["order_id"],
            "store": "olist",
            "customer_id": located["customer_unique_id"],
            "order_type": "sale",
            "is_cancelled": located["is_cancelled"],
            "ordered_at": located["purchased_at"],
            "country_name": "Brazil",
            "state": located["customer_state"],
        }
    )
    orders = pd.concat([retail_orders, olist], ignore_index=True)
    measures = [
        "line_count",
        "product_line_count",
        "total_quantity",
        "gross_sales_amount",
        "cancellation_amount",
        "net_revenue_amount",
    ]
    orders = orders.merge(totals[measures], how="left", left_on="order_key", right_index=True)
    orders[measures] = orders[measures].fillna(0)
    orders["customer_key"] = orders["store"] + ":" + orders["customer_id"]
    orders["order_date"] = orders["ordered_at"].dt.normalize()
    return orders


def quintile_score(values: pd.Series, stores: pd.Series, ascending: bool) -> pd.Series:
    """1 + floor(5 * (rank - 1) / (n - 1)), capped at 5, ties sharing the lowest rank (floor.sql)."""
    rank = values.groupby(stores).rank(method="min", ascending=ascending)
    count = stores.map(stores.value_counts())
    return np.minimum(5, 1 + (5 * (rank - 1)) // np.maximum(count - 1, 1)).astype(int)


def build_rfm(orders: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    as_of = orders.groupby("store")["order_date"].max() + pd.Timedelta(days=1)
    observed = orders[orders["customer_key"].notna()].copy()
    # A sale order: of type sale and not cancelled (macros/customer_observation.sql).
    observed["is_sale"] = (observed["order_type"] == "sale") & ~observed["is_cancelled"].astype(bool)
    observed["sale_date"] = observed["order_date"].where(observed["is_sale"])
    observed["sale_order_id"] = observed["order_key"].where(observed["is_sale"])
    customers = (
        observed.groupby(["store", "customer_key", "customer_id"], sort=False)
        .agg(
            frequency=("sale_order_id", "nunique"),
            last_order_date=("sale_date", "max"),
            monetary=("net_revenue_amount", "sum"),
        )
        .reset_index()
    )
    customers = customers[customers["frequency"] > 0].copy()
    customers["as_of_date"] = customers["store"].map(as_of)
    customers["recency_days"] = (customers["as_of_date"] - customers["last_order_date"]).dt.days
    customers["r_score"] = quintile_score(customers["recency_days"], customers["store"], ascending=False)
    customers["f_score"] = quintile_score(customers["frequency"], customers["store"], ascending=True)
    customers["m_score"] = quintile_score(customers["monetary"], customers["store"], ascending=True)
    customers["fm_score"] = (customers["f_score"] + customers["m_score"] + 1) // 2
    return customers.merge(segments, how="left", on=["r_score", "fm_score"])


def build_sales_daily(orders: pd.DataFrame, lines: pd.DataFrame) -> pd.DataFrame:
    first_sale = orders[orders["order_type"] == "sale"].groupby("customer_key")["ordered_at"].min().dt.normalize()
    rows = orders.merge(
        lines[
            ["order_key", "line_type", "quantity", "gross_sales_amount", "cancellation_amount", "net_revenue_amount"]
        ],
        how="left",
        on="order_key",
        suffixes=("_order", ""),
    )
    rows["is_sale_order"] = rows["order_type"] == "sale"
    rows["is_valued_order"] = rows["is_sale_order"] & ~rows["is_cancelled"].astype(bool)
    first = rows["customer_key"].map(first_sale)
    rows["customer_status"] = np.where(
        rows["customer_key"].isna(), "no customer", np.where(rows["order_date"] == first, "new", "returning")
    )
    overall = rows.assign(dimension="overall", dimension_value="all")
    country = rows.assign(dimension="country", dimension_value=rows["country_name"].fillna("unknown"))
    olist = rows[rows["store"] == "olist"]
    state = olist.assign(dimension="state", dimension_value=olist["state"].fillna("unknown"))
    stacked = pd.concat([overall, country, state], ignore_index=True)
    sale_line = stacked["line_type"] == "sale"
    stacked["sale_order_key"] = stacked["order_key"].where(stacked["is_sale_order"])
    stacked["cancelled_order_key"] = stacked["order_key"].where(stacked["is_cancelled"].astype(bool))
    stacked["valued_order_key"] = stacked["order_key"].where(stacked["is_valued_order"])
    stacked["sale_line"] = sale_line.astype(int)
    stacked["units_sold"] = stacked["quantity"].where(sale_line, 0)
    stacked["sale_customer_key"] = stacked["customer_key"].where(stacked["is_sale_order"])
    stacked["new_customer_key"] = stacked["sale_customer_key"].where(stacked["customer_status"] == "new")
    stacked["returning_customer_key"] = stacked["sale_customer_key"].where(stacked["customer_status"] == "returning")
    return (
        stacked.groupby(["store", "order_date", "dimension", "dimension_value"], sort=False)
        .agg(
            order_count=("sale_order_key", "nunique"),
            cancelled_order_count=("cancelled_order_key", "nunique"),
            line_count=("sale_line", "sum"),
            units_sold=("units_sold", "sum"),
            gross_sales_amount=("gross_sales_amount", "sum"),
            cancellation_amount=("cancellation_amount", "sum"),
            net_revenue_amount=("net_revenue_amount", "sum"),
            customer_count=("sale_customer_key", "nunique"),
            new_customer_count=("new_customer_key", "nunique"),
            returning_customer_count=("returning_customer_key", "nunique"),
            valued_order_count=("valued_order_key", "nunique"),
        )
        .reset_index()
    )


def build_marts(online_retail_csv: Path, olist_dir: Path, max_event_date: str | None = None) -> dict[str, pd.DataFrame]:
    """The core marts; money columns in ten-thousandths of the currency (integers)."""
    max_event_timestamp = (
        pd.Timestamp(max_event_date) if max_event_date else pd.Timestamp.today().normalize()
    ) + pd.Timedelta(days=1)
    country_names = pd.read_csv(SEEDS_DIR / "country_names.csv", dtype=str).set_index("source_country_name")[
        "country_name"
    ]
    segments = pd.read_csv(SEEDS_DIR / "rfm_segments.csv")
    retail = clean_online_retail(read_text_csv(online_retail_csv), max_event_timestamp)
    orders, customers, items = clean_olist(olist_dir, max_event_timestamp)
    lines = with_revenue(
        pd.concat(
            [online_retail_order_lines(retail, country_names), olist_order_lines(orders, customers, items)],
            ignore_index=True,
        )
    )
    fct_orders = build_orders(lines, orders, customers)
    return {
        "fct_order_lines": lines,
        "fct_orders": fct_orders,
        "customer_rfm": build_rfm(fct_orders, segments),
        "sales_daily": build_sales_daily(fct_orders, lines),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_warehouse.bench.pandas_path", description=__doc__)
    parser.add_argument("--online-retail", required=True, type=Path, help="Online Retail I CSV")
    parser.add_argument("--olist-dir", required=True, type=Path, help="folder of the Olist CSVs")
    parser.add_argument("--out", type=Path, default=None, help="write each mart as <name>.parquet here")
    args = parser.parse_args(argv)
    marts = build_marts(args.online_retail, args.olist_dir)
    for name, frame in marts.items():
        print(f"{name}: {len(frame):,} rows")
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            frame.to_parquet(args.out / f"{name}.parquet", index=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
