"""The incremental marts (fct_order_lines, fct_orders and the sales period marts), the
incremental attributed order lines under them, the incremental monthly customer snapshots and
the staging models incremental by invoice or order equal a full rebuild: after a day appended to the
inputs, when the inputs are replaced by other files, and after each kind of change inside and
before the lookback window (a small data set)."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess

import duckdb
import pytest
from helpers import (
    REPO_ROOT,
    Build,
    content_hashes,
    dbt_build_command,
    require_success,
    run_dbt_build,
    side_by_side,
)

from retail_warehouse.bench.append import append_day

INCREMENTAL_MARTS = (
    "marts.fct_order_lines",
    "marts.fct_orders",
    "marts.sales_daily",
    "marts.sales_weekly",
    "marts.sales_monthly",
)
# Incremental by snapshot month (set_window_from_changed_history, macros/incremental.sql).
SNAPSHOT_MODELS = ("intermediate.int_customer_orders_snapshotted", "intermediate.int_customer_snapshots_measured")
SNAPSHOT_MARTS = ("marts.customer_feature_snapshots",)
SQL_ONLY = ("--vars", "{ml_enabled: false}")


def test_incremental_build_after_a_new_day_equals_a_full_rebuild(synthetic_build, synthetic_files, tmp_path):
    """The fixture's build, then the same files with one more day and late rows appended: an
    incremental `dbt build` over the kept build copy gives the same marts, table for table,
    as a `dbt build --full-refresh` of the appended files from nothing."""
    appended_files = tmp_path / "appended"
    added = append_day(synthetic_files, appended_files)
    assert added["online_retail"] > 0 and added["olist"] > 0
    inputs = {
        "online_retail_path": appended_files / "online_retail" / "online_retail.csv",
        "olist_dir": appended_files / "olist",
    }

    incremental_dir = tmp_path / "incremental"
    (incremental_dir / ".build").mkdir(parents=True)
    shutil.copy(synthetic_build.build_file, incremental_dir / ".build" / "warehouse.duckdb")
    incremental, full = side_by_side(
        lambda: require_success(run_dbt_build(incremental_dir, **inputs, extra_args=SQL_ONLY)),
        lambda: require_success(run_dbt_build(tmp_path / "full", **inputs, extra_args=("--full-refresh", *SQL_ONLY))),
    )

    # The incremental build did delete + insert into the marts it kept, not a rebuild. (Staging
    # models may be rebuilt whole here: the appended files sit in another folder, so their raw
    # rows name another source file.)
    for mart in INCREMENTAL_MARTS:
        schema, name = mart.split(".")
        assert f'"{schema}"."{name}" is rebuilt whole' not in incremental.output, mart
        compiled = incremental_dir / "target" / "run" / "retail_warehouse" / "models" / "marts"
        run_sql = next(compiled.rglob(f"{mart.split('.')[1]}.sql")).read_text()
        assert "delete from" in run_sql, mart
    # New rows arrived: the next day is there.
    before = synthetic_build.scalar("select max(order_date) from marts.sales_daily where store = 'online_retail'")
    after = incremental.scalar("select max(order_date) from marts.sales_daily where store = 'online_retail'")
    assert (after - before).days == 1

    incremental_hashes = {
        name: value for name, value in content_hashes(incremental.warehouse).items() if name.startswith("marts.")
    }
    full_hashes = {name: value for name, value in content_hashes(full.warehouse).items() if name.startswith("marts.")}
    assert set(INCREMENTAL_MARTS) <= full_hashes.keys()
    assert incremental_hashes.keys() == full_hashes.keys()
    differing = sorted(name for name in full_hashes if incremental_hashes[name] != full_hashes[name])
    assert differing == [], f"marts that differ between the incremental build and the full rebuild: {differing}"
    # And the appended rows changed the marts (the comparison is not between two old builds).
    original = content_hashes(synthetic_build.warehouse)
    assert all(original[name] != full_hashes[name] for name in INCREMENTAL_MARTS)


def test_replaced_inputs_rebuild_the_incremental_marts_whole(synthetic_build, synthetic_files, tmp_path):
    """Other files than last time (Online Retail II instead of I), not an append: the kept rows
    before the lookback window no longer match the inputs, so each incremental mart is emptied
    and built whole; the build's relationship tests (fct -> dim) pass only if no old row is left."""
    workdir = tmp_path / "replaced"
    (workdir / ".build").mkdir(parents=True)
    shutil.copy(synthetic_build.build_file, workdir / ".build" / "warehouse.duckdb")
    build = require_success(
        run_dbt_build(
            workdir,
            online_retail_path=synthetic_files / "online_retail" / "online_retail_II.csv",
            olist_dir=synthetic_files / "olist",
            extra_args=SQL_ONLY,
        )
    )
    for mart in INCREMENTAL_MARTS:
        assert f'{mart.split(".")[1]}" is rebuilt whole' in build.output, mart
    assert build.published
    # Both stores are in the rebuilt mart.
    assert build.scalar("select count(distinct store) from marts.fct_order_lines") == 2


# --- Every change of the inputs, on a small data set: the incremental marts equal a full refresh.

# The models the small builds run: the incremental marts, the customer marts built on the
# incremental per-customer totals, the marts read from the incremental attributed order lines
# (top_products, sales_hour_weekday) and the distribution marts (customer_rfm+, with the
# incremental value counts under them), and what they are built from; SQL only.
SMALL_SELECTION = (
    "--select",
    "+fct_order_lines",
    "+fct_orders",
    "+sales_daily",
    "+customer_rfm+",
    "+customer_cohorts",
    "+customer_features",
    "+sales_weekly",
    "+sales_monthly",
    "+customer_feature_snapshots",
    "+top_products",
    "+sales_hour_weekday",
    "+eda_histogram_bins",
)
# Incremental by invoice or order (macros/incremental_groups.sql).
GROUPED_MODELS = (
    "staging.base_online_retail__invoice_lines",
    "staging.stg_online_retail__invoice_lines",
    "intermediate.int_online_retail_order_lines_prepared",
    "staging.base_olist__order_items",
    "staging.stg_olist__order_items",
    "staging.base_olist__order_payments",
    "staging.stg_olist__order_payments",
)
# Compared with a full refresh: every mart the small builds make and the incremental
# intermediate and staging tables (the history fingerprints, windows and changed groups beside
# them describe the build).
COMPARED_INTERMEDIATE = (
    "intermediate.int_customer_order_totals",
    "intermediate.int_customer_products_bought",
    "intermediate.int_sales_order_lines_attributed",
    "intermediate.int_sales_customer_days",
    "intermediate.int_sales_values_counted",
    "intermediate.int_sales_values_segmented",
    *SNAPSHOT_MODELS,
    *GROUPED_MODELS,
)


def _rows(path):
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.reader(file))


def _write_rows(path, rows):
    with path.open("w", encoding="utf-8", newline="") as file:
        csv.writer(file, lineterminator="\n").writerows(rows)


def _append_day(files):
    """One more day and late rows of the last day (retail_warehouse.bench.append), in place."""
    before = files.parent / "before_append"
    shutil.move(files, before)
    added = append_day(before, files)
    assert added["online_retail"] > 0 and added["olist"] > 0


def _online_retail_days(rows):
    """The distinct days of the Online Retail rows (InvoiceDate 'YYYY-MM-DD hh:mm:ss'), sorted."""
    return sorted({row[4][:10] for row in rows[1:]})


def _drop_online_retail_day_rows(files, keep_every):
    """The second-to-last day of the Online Retail file (inside the lookback window, before the
    last day) keeps one row in `keep_every` (none with 0): a day that shrinks or vanishes."""
    path = files / "online_retail" / "online_retail.csv"
    rows = _rows(path)
    day = _online_retail_days(rows)[-2]
    on_day = [row for row in rows[1:] if row[4].startswith(day)]
    kept = on_day[::keep_every] if keep_every else []
    assert on_day and len(kept) < len(on_day)
    _write_rows(path, [rows[0], *(row for row in rows[1:] if not row[4].startswith(day) or row in kept)])


def _change_first_olist_item(files, column, new_value):
    """One column of the Olist order item of the earliest order (long before the lookback window)."""
    olist = files / "olist"
    orders = _rows(olist / "olist_orders_dataset.csv")
    purchase = orders[0].index("order_purchase_timestamp")
    earliest = min((row for row in orders[1:] if row[purchase]), key=lambda row: row[purchase])[0]
    items_path = olist / "olist_order_items_dataset.csv"
    items = _rows(items_path)
    index = items[0].index(column)
    row = next(row for row in items[1:] if row[0] == earliest)
    row[index] = new_value(row[index], files)
    _write_rows(items_path, items)


def _other_seller(seller_id, files):
    sellers = [row[0] for row in _rows(files / "olist" / "olist_sellers_dataset.csv")[1:]]
    return next(seller for seller in sellers if seller != seller_id)


def _append_to_first_online_retail_invoice(files):
    """Rows appended at the end of the Online Retail file, dated long before the lookback
    window: one more line on the first invoice (a quantity one further from 0: no duplicate), and
    the first line again under a new invoice dated two years earlier (quarantined by the
    store-wide early-date rule, whose quantile it moves)."""
    path = files / "online_retail" / "online_retail.csv"
    rows = _rows(path)
    first = rows[1]
    quantity = int(first[3])
    extra_line = [*first[:3], str(quantity + (1 if quantity > 0 else -1)), *first[4:]]
    early_year = int(first[4][:4]) - 2
    early_invoice = ["999999", *first[1:4], f"{early_year}{first[4][4:]}", *first[5:]]
    _write_rows(path, [*rows, extra_line, early_invoice])


def _change_first_online_retail_price(files):
    """The unit price of the first Online Retail line (the first day of the data)."""
    path = files / "online_retail" / "online_retail.csv"
    rows = _rows(path)
    rows[1][5] = f"{float(rows[1][5]) + 1:.2f}"
    _write_rows(path, rows)


# name -> (change of the input files, whether the build must rebuild the marts whole)
INPUT_CHANGES = {
    "appended_day": (lambda files: _append_day(files), False),
    "lookback_day_shrinks": (lambda files: _drop_online_retail_day_rows(files, 2), False),
    "lookback_day_loses_all_rows": (lambda files: _drop_online_retail_day_rows(files, 0), False),
    "price_before_window": (_change_first_online_retail_price, True),
    "lines_appended_to_an_old_invoice": (_append_to_first_online_retail_invoice, True),
    "freight_before_window": (
        lambda files: _change_first_olist_item(files, "freight_value", lambda value, _: f"{float(value) + 7:.2f}"),
        True,
    ),
    "seller_before_window": (lambda files: _change_first_olist_item(files, "seller_id", _other_seller), True),
}
# The changes before the window that reach a column int_sales_order_lines_attributed reads (its
# history check fingerprints those columns only): it is rebuilt whole after these, and keeps
# its days before the window after the others (a freight or a seller is not among its columns).
ATTRIBUTED_LINES_REBUILT_BY = {"price_before_window", "lines_appended_to_an_old_invoice"}


def _small_build(workdir, files, *extra_args):
    """`dbt build` of SMALL_SELECTION without the data tests (a selection: the build copy is not
    published, it is the result)."""
    args, env, warehouse = dbt_build_command(
        workdir,
        online_retail_path=files / "online_retail" / "online_retail.csv",
        olist_dir=files / "olist",
        extra_args=(*SMALL_SELECTION, "--exclude-resource-type", "test", "unit_test", *extra_args, *SQL_ONLY),
    )
    completed = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    build = require_success(Build(warehouse, completed.returncode, completed.stdout + completed.stderr))
    return build, build.build_file


@pytest.fixture(scope="module")
def small_base(tmp_path_factory):
    """A small synthetic data set (3,000 Online Retail lines, 600 Olist orders) and a build of
    the incremental marts from it."""
    from retail_warehouse.synth import generate

    files = tmp_path_factory.mktemp("small_files")
    generate(files, lines=3_000, seed=7, formats=("csv",))
    _, build_file = _small_build(tmp_path_factory.mktemp("small_base"), files)
    return files, build_file


@pytest.mark.parametrize("change", sorted(INPUT_CHANGES))
def test_incremental_marts_equal_a_full_refresh_after_any_input_change(small_base, tmp_path, change):
    """The inputs change (a day appended, a day inside the lookback window shrinks or loses every
    row, a price, a freight or a seller changes before the window); an incremental build over
    the kept marts gives the same tables as a `--full-refresh` of the changed inputs. Inside
    the window it replaces days; before it, the marts are rebuilt whole."""
    base_files, base_build_file = small_base
    files = tmp_path / "files"
    shutil.copytree(base_files, files)
    apply_change, rebuilt_whole = INPUT_CHANGES[change]
    apply_change(files)

    incremental_dir = tmp_path / "incremental"
    (incremental_dir / ".build").mkdir(parents=True)
    shutil.copy(base_build_file, incremental_dir / ".build" / "warehouse.duckdb")
    (incremental, incremental_file), (_, full_file) = side_by_side(
        lambda: _small_build(incremental_dir, files), lambda: _small_build(tmp_path / "full", files, "--full-refresh")
    )

    incremental_hashes = _compared_hashes(incremental_file)
    full_hashes = _compared_hashes(full_file)
    base_hashes = _compared_hashes(base_build_file)
    compared = {
        *INCREMENTAL_MARTS,
        *SNAPSHOT_MARTS,
        "marts.customer_rfm",
        "marts.customer_features",
        "marts.eda_boxplot_stats",
        "marts.eda_histogram_bins",
    }
    assert compared | set(COMPARED_INTERMEDIATE) <= full_hashes.keys()
    assert incremental_hashes.keys() == full_hashes.keys()
    # The change reached the marts (the comparison is not between two copies of the base).
    assert any(full_hashes[mart] != base_hashes[mart] for mart in INCREMENTAL_MARTS)
    differing = sorted(name for name in full_hashes if incremental_hashes[name] != full_hashes[name])
    assert differing == [], f"{change}: tables that differ from a full refresh: {differing}"
    # Inside the window whole days were replaced; a change before it rebuilt the tables whole.
    assert ("is rebuilt whole" in incremental.output) == rebuilt_whole, incremental.output[-3000:]
    attributed_rebuilt = '"int_sales_order_lines_attributed" is rebuilt whole' in incremental.output
    assert attributed_rebuilt == (change in ATTRIBUTED_LINES_REBUILT_BY), incremental.output[-3000:]
    # The snapshot models recomputed per store the snapshots from its first changed day on: a
    # change inside the window kept the earlier snapshots of both stores; the price of the first
    # Online Retail day changed its orders in fct_orders from the first snapshot on, so all that
    # store's order snapshots were recomputed (Olist's earlier ones kept). The same holds for
    # the snapshot mart built on the measured snapshots (customer_feature_snapshots).
    first_snapshots = _first_snapshots(base_build_file)
    for model, windows in _snapshot_windows(incremental_file).items():
        assert windows.keys() == first_snapshots.keys(), model
        recomputed_whole = {store for store, start in windows.items() if start <= first_snapshots[store]}
        if not rebuilt_whole:
            assert recomputed_whole == set(), (change, model, windows)
        if change == "price_before_window" and model == SNAPSHOT_MODELS[0]:
            assert recomputed_whole == {"online_retail"}, (model, windows)


# The statistics of eda_boxplot_stats as its definition states them, over every observation
# (the lines and orders, not the value counts the model adds up): DuckDB's quantile_cont and
# min / max of the values as doubles, the mean rounded to 6 decimals.
OBSERVED_BOXPLOT_STATISTICS = """
    with observations as (
        select store, customer_key, 'quantity' as measure, cast(quantity as double) as observed_value
        from marts.fct_order_lines where line_type = 'sale'
        union all
        select store, customer_key, 'unit_price', cast(unit_price as double)
        from marts.fct_order_lines where line_type = 'sale'
        union all
        select store, customer_key, 'order_value', cast(net_revenue_amount as double)
        from marts.fct_orders where order_type = 'sale' and not is_cancelled and line_count > 0
    ),

    segmented as (
        select
            observations.*,
            case
                when observations.customer_key is null then 'no customer'
                else coalesce(customer_rfm.rfm_segment, 'not scored')
            end as rfm_segment
        from observations
        left outer join marts.customer_rfm on observations.customer_key = customer_rfm.customer_key
    ),

    by_dimension as (
        select store, 'overall' as dimension, 'all' as dimension_value, measure, observed_value from segmented
        union all
        select store, 'rfm_segment', rfm_segment, measure, observed_value from segmented
    )

    select
        store, dimension, dimension_value, measure, count(*), round(avg(observed_value), 6),
        min(observed_value), quantile_cont(observed_value, 0.25), quantile_cont(observed_value, 0.5),
        quantile_cont(observed_value, 0.75), max(observed_value)
    from by_dimension
    group by all
"""


def test_boxplot_statistics_from_value_counts_equal_those_of_every_observation(small_base):
    """eda_boxplot_stats computes its quartiles from the value counts (int_sales_values_segmented):
    they equal, to the bit, quantile_cont over every observation, and so do the counts, means,
    minima and maxima (a segment or measure with few values, where the interpolation between two
    values matters, included)."""
    _, build_file = small_base
    with duckdb.connect(str(build_file), read_only=True) as con:
        expected = set(con.execute(OBSERVED_BOXPLOT_STATISTICS).fetchall())
        computed = set(
            con.execute(
                "select store, dimension, dimension_value, measure, observation_count, mean_value, min_value,"
                " q1_value, median_value, q3_value, max_value from marts.eda_boxplot_stats"
            ).fetchall()
        )
    assert len(expected) > 10
    # Some quartile of the (whole) quantities is not whole: it falls between two different values.
    assert any(row[3] == "quantity" and any(value != int(value) for value in row[7:10]) for row in expected)
    assert computed == expected, sorted(computed ^ expected)[:6]


def _first_snapshots(warehouse):
    """Each store's first snapshot date in int_customer_snapshots_measured."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return dict(
            con.execute(
                "select store, min(as_of_date) from intermediate.int_customer_snapshots_measured group by store"
            ).fetchall()
        )


def _snapshot_windows(warehouse):
    """model -> {store: the first snapshot date its last build recomputed} (the windows are in
    schema intermediate, macros/incremental.sql)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            model: dict(
                con.execute(
                    f"select store, window_start_date from intermediate.{model.split('.')[1]}__incremental_window"
                ).fetchall()
            )
            for model in (*SNAPSHOT_MODELS, *SNAPSHOT_MARTS)
        }


def _compared_hashes(warehouse):
    hashes = content_hashes(warehouse, schemas=("marts", "intermediate", "staging"))
    return {name: value for name, value in hashes.items() if name.startswith("marts.") or name in COMPARED_INTERMEDIATE}


def test_row_level_tests_of_an_incremental_build_check_the_recomputed_window(small_base, tmp_path):
    """After an incremental build, a row-level test of an incremental mart reads the days the
    build recomputed, the grain test every row: a bad row dated before the window (a negative
    unit price, its line repeated) fails the grain test and not the unit price test, and a
    full refresh's tests read every row again."""
    base_files, base_build_file = small_base
    workdir = tmp_path / "incremental"
    (workdir / ".build").mkdir(parents=True)
    shutil.copy(base_build_file, workdir / ".build" / "warehouse.duckdb")
    _, build_file = _small_build(workdir, base_files)
    with duckdb.connect(str(build_file)) as con:
        window = dict(
            con.execute(
                "select store, window_start_date from intermediate.fct_order_lines__incremental_window"
            ).fetchall()
        )
        assert window.keys() == {"online_retail", "olist"}
        con.execute(
            """
            insert into marts.fct_order_lines
            select * replace (-1 as unit_price)
            from marts.fct_order_lines
            where store = 'online_retail' and line_type = 'sale' and order_date < ?
            limit 1
            """,
            [window["online_retail"]],
        )

    statuses = _test_statuses(workdir, base_files)
    assert statuses["unique_combination_of_columns_fct_order_lines_store__order_id__line_number"] == "fail"
    assert statuses["expression_is_true_fct_order_lines_unit_price_0_or_line_type_bad_debt_adjustment_"] == "pass"

    # Built whole, the window is empty: the unit price test reads every row again.
    with duckdb.connect(str(build_file)) as con:
        con.execute("delete from intermediate.fct_order_lines__incremental_window")
    statuses = _test_statuses(workdir, base_files)
    assert statuses["expression_is_true_fct_order_lines_unit_price_0_or_line_type_bad_debt_adjustment_"] == "fail"


def _test_statuses(workdir, files):
    """`dbt test` of fct_order_lines on workdir's build copy: test name (without its hash) -> status."""
    args, env, _ = dbt_build_command(
        workdir,
        online_retail_path=files / "online_retail" / "online_retail.csv",
        olist_dir=files / "olist",
        extra_args=("--select", "fct_order_lines", *SQL_ONLY),
    )
    args[1] = "test"
    subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    results = json.loads((workdir / "target" / "run_results.json").read_text())["results"]
    return {result["unique_id"].split(".")[2]: result["status"] for result in results}
