"""Append one new day to a synthetic data set, as a shop's next export would: the input of the
incremental-refresh measurement of `make bench` and of the incremental = full rebuild test.

The new files are the old files with rows added at the end (the old rows are untouched):
  - the next day: the last day's Online Retail lines and Olist orders (with their items,
    payments and a new Olist customer_id per order) again, one day later, under new ids;
  - late rows dated the last day already in the data: a few more invoices and Olist orders,
    and one more line on the last invoice (rows that arrive after the day was first built,
    which the incremental lookback window must pick up).

python -m retail_warehouse.bench.append --source DIR --out DIR
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path

import duckdb

ONLINE_RETAIL_FILE = Path("online_retail") / "online_retail.csv"
OLIST_ORDERS = "olist_orders_dataset.csv"
OLIST_ITEMS = "olist_order_items_dataset.csv"
OLIST_PAYMENTS = "olist_order_payments_dataset.csv"
OLIST_CUSTOMERS = "olist_customers_dataset.csv"
OLIST_TIMESTAMPS = (
    "order_purchase_timestamp",
    "order_approved_at",
    "order_delivered_carrier_date",
    "order_delivered_customer_date",
    "order_estimated_delivery_date",
)
# Late rows: the first and every n-th invoice / order of the last day come again under new ids.
LATE_EVERY = 5


def _read_text(path: Path) -> str:
    return (
        f"read_csv('{path}', header = true, all_varchar = true, auto_detect = false, delim = ',', "
        f"quote = '\"', escape = '\"', columns = {_columns_struct(path)})"
    )


def _columns_struct(path: Path) -> str:
    return "{" + ", ".join(f"'{name}': 'varchar'" for name in _header(path)) + "}"


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as file:
        return next(csv.reader(file))


def _shifted(column: str, days: str, table: str = "") -> str:
    """A timestamp text column moved by `days` (an SQL expression), same format; text that is
    not a timestamp (or empty) stays as it is."""
    quoted = f'{table}"{column}"'
    return (
        f"coalesce(strftime(try_cast({quoted} as timestamp) + to_days({days}), '%Y-%m-%d %H:%M:%S'), {quoted})"
        f' as "{column}"'
    )


def _append_rows(con: duckdb.DuckDBPyConnection, source: Path, target: Path, rows_sql: str) -> int:
    """target = source's bytes + the rows of `rows_sql` (in source's column order) as CSV lines."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)
    extra = target.with_name(target.name + ".appended")
    con.execute(f"copy ({rows_sql}) to '{extra}' (format csv, header false, delimiter ',', quote '\"')")
    with target.open("rb+") as out:
        out.seek(0, 2)
        if out.tell() > 0:
            out.seek(-1, 2)
            if out.read(1) != b"\n":
                out.write(b"\n")
        with extra.open("rb") as rows:
            shutil.copyfileobj(rows, out)
    count = sum(1 for _ in extra.open("rb"))
    extra.unlink()
    return count


def _new_invoice_no(column: str, offset: int) -> str:
    """Same prefix (C, A or none), number moved by offset: a new invoice of the same kind."""
    return (
        f"regexp_extract({column}, '^[^0-9]*') || "
        f"cast(cast(regexp_extract({column}, '[0-9]+$') as bigint) + {offset} as varchar)"
    )


def append_online_retail(con, source: Path, target: Path) -> int:
    columns = _header(source)
    con.execute(
        f"create or replace temp table retail as select *, row_number() over () as row_in_file from {_read_text(source)}"
    )
    last_day = con.execute("select max(cast(try_cast(InvoiceDate as timestamp) as date)) from retail").fetchone()[0]
    con.execute(
        "create or replace temp table last_day_lines as select * from retail "
        "where cast(try_cast(InvoiceDate as timestamp) as date) = ? "
        "and regexp_full_match(InvoiceNo, '[A-Za-z]*[0-9]+')",
        [last_day],
    )
    select_list = ", ".join(f'"{name}"' for name in columns)
    next_day = ", ".join(
        _new_invoice_no("InvoiceNo", 1_000_000) + " as InvoiceNo"
        if name == "InvoiceNo"
        else _shifted(name, "1")
        if name == "InvoiceDate"
        else f'"{name}"'
        for name in columns
    )
    late = ", ".join(
        _new_invoice_no("InvoiceNo", 2_000_000) + " as InvoiceNo" if name == "InvoiceNo" else f'"{name}"'
        for name in columns
    )
    # One more line on the last invoice of the day: same invoice, a quantity one higher (not a duplicate).
    extra_line = ", ".join(
        "cast(cast(Quantity as integer) + 1 as varchar) as Quantity" if name == "Quantity" else f'"{name}"'
        for name in columns
    )
    rows_sql = f"""
        select * from (
            select {next_day}, 1 as part, row_in_file from last_day_lines
            union all
            select {late}, 2 as part, row_in_file from last_day_lines
            where hash(InvoiceNo) % {LATE_EVERY} = 0 or InvoiceNo = (select min(InvoiceNo) from last_day_lines)
            union all
            select {extra_line}, 3 as part, row_in_file from last_day_lines
            where InvoiceNo = (select arg_max(InvoiceNo, row_in_file) from last_day_lines where InvoiceNo not like 'C%')
                and try_cast(Quantity as integer) > 0
            qualify row_number() over (order by row_in_file) = 1
        )
        order by part, row_in_file
    """
    return _append_rows(con, source, target, f"select {select_list} from ({rows_sql})")


def append_olist(con, source_dir: Path, target_dir: Path) -> int:
    target_dir.mkdir(parents=True, exist_ok=True)
    orders_path = source_dir / OLIST_ORDERS
    con.execute(
        f"create or replace temp table orders as select *, row_number() over () as row_in_file from {_read_text(orders_path)}"
    )
    last_day = con.execute(
        "select max(cast(try_cast(order_purchase_timestamp as timestamp) as date)) from orders"
    ).fetchone()[0]
    # The new orders: every order of the last day one day later, and every n-th one again on
    # the last day (late). new_id / new_customer_id name them.
    con.execute(
        f"""
        create or replace temp table new_orders as
        select orders.*, 1 as days, md5(order_id || ':next') as new_id, md5(customer_id || ':next') as new_customer_id
        from orders
        where cast(try_cast(order_purchase_timestamp as timestamp) as date) = ?
        union all
        select orders.*, 0 as days, md5(order_id || ':late') as new_id, md5(customer_id || ':late') as new_customer_id
        from orders
        where cast(try_cast(order_purchase_timestamp as timestamp) as date) = ?
            and (hash(order_id) % {LATE_EVERY} = 0 or order_id = (select min(order_id) from orders where
                cast(try_cast(order_purchase_timestamp as timestamp) as date) = ?))
        """,
        [last_day, last_day, last_day],
    )
    appended = 0
    order_columns = ", ".join(
        "new_id as order_id"
        if name == "order_id"
        else "new_customer_id as customer_id"
        if name == "customer_id"
        else _shifted(name, "days")
        if name in OLIST_TIMESTAMPS
        else f'"{name}"'
        for name in _header(orders_path)
    )
    appended += _append_rows(
        con,
        orders_path,
        target_dir / OLIST_ORDERS,
        f"select {order_columns} from new_orders order by days desc, row_in_file",
    )
    customers_path = source_dir / OLIST_CUSTOMERS
    customer_columns = ", ".join(
        "new_orders.new_customer_id as customer_id" if name == "customer_id" else f'customers."{name}"'
        for name in _header(customers_path)
    )
    appended += _append_rows(
        con,
        customers_path,
        target_dir / OLIST_CUSTOMERS,
        f"""select {customer_columns}
            from new_orders inner join {_read_text(customers_path)} as customers
                on new_orders.customer_id = customers.customer_id
            qualify row_number() over (partition by new_orders.new_customer_id order by new_orders.row_in_file) = 1
            order by new_orders.days desc, new_orders.row_in_file""",
    )
    for name, shifted in ((OLIST_ITEMS, ("shipping_limit_date",)), (OLIST_PAYMENTS, ())):
        path = source_dir / name
        columns = ", ".join(
            "new_orders.new_id as order_id"
            if column == "order_id"
            else _shifted(column, "new_orders.days", "rows.")
            if column in shifted
            else f'rows."{column}"'
            for column in _header(path)
        )
        appended += _append_rows(
            con,
            path,
            target_dir / name,
            f"""select {columns}
                from (select *, row_number() over () as row_in_file from {_read_text(path)}) as rows
                inner join new_orders on rows.order_id = new_orders.order_id
                order by new_orders.days desc, new_orders.row_in_file, rows.row_in_file""",
        )
    # The other Olist files are unchanged: linked, not copied.
    for path in sorted(source_dir.glob("*.csv")):
        if not (target_dir / path.name).exists():
            (target_dir / path.name).symlink_to(path.resolve())
    return appended


def append_day(source_dir: Path | str, out_dir: Path | str) -> dict[str, int]:
    """Write source_dir's data set plus one new day (and late rows) to out_dir; rows added per store."""
    source, out = Path(source_dir), Path(out_dir)
    with duckdb.connect() as con:
        retail = append_online_retail(con, source / ONLINE_RETAIL_FILE, out / ONLINE_RETAIL_FILE)
        olist = append_olist(con, source / "olist", out / "olist")
    return {"online_retail": retail, "olist": olist}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retail_warehouse.bench.append", description=__doc__)
    parser.add_argument("--source", required=True, type=Path, help="a synthetic data folder (retail_warehouse.synth)")
    parser.add_argument("--out", required=True, type=Path, help="folder to write")
    args = parser.parse_args(argv)
    added = append_day(args.source, args.out)
    print(f"appended rows: {added}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
