"""The benchmark's references compute what the warehouse computes: the floor script (one
hand-written DuckDB script) and the pandas path give the dbt marts' rows on the synthetic
build. No timing here: `make bench` measures, tests only check results."""

from __future__ import annotations

import pytest

from retail_warehouse.bench.floor import run_floor
from retail_warehouse.bench.pandas_path import build_marts

# The floor's marts and the rows of the dbt mart it covers.
FLOOR_MARTS = {
    "fct_order_lines": "true",
    "fct_orders": "true",
    "customer_rfm": "true",
    "sales_daily": "dimension in ('overall', 'country', 'state')",
}


@pytest.fixture(scope="module")
def floor(synthetic_files, tmp_path_factory):
    database = tmp_path_factory.mktemp("floor") / "floor.duckdb"
    con = run_floor(synthetic_files / "online_retail" / "online_retail.csv", synthetic_files / "olist", database)
    yield con
    con.close()


@pytest.mark.parametrize("mart", sorted(FLOOR_MARTS))
def test_floor_script_computes_the_dbt_marts(floor, synthetic_build, mart):
    """Every column the floor computes, row for row (as multisets), equals the dbt mart's."""
    columns = [row[0] for row in floor.execute(f"describe {mart}").fetchall()]
    column_list = ", ".join(columns)
    floor.execute(f"attach if not exists '{synthetic_build.warehouse}' as dbt (read_only)")
    dbt_rows = f"select {column_list} from dbt.marts.{mart} where {FLOOR_MARTS[mart]}"
    floor_rows = f"select {column_list} from main.{mart}"
    only_dbt = floor.execute(f"select count(*) from ({dbt_rows} except all {floor_rows})").fetchone()[0]
    only_floor = floor.execute(f"select count(*) from ({floor_rows} except all {dbt_rows})").fetchone()[0]
    total = floor.execute(f"select count(*) from ({floor_rows})").fetchone()[0]
    assert total > 100
    assert (only_dbt, only_floor) == (0, 0), f"{mart}: rows only in dbt {only_dbt}, only in the floor {only_floor}"


def test_pandas_path_computes_the_floor_marts(floor, synthetic_files):
    """The notebook path counts the same rows and the same money (in ten-thousandths) per day."""
    marts = build_marts(synthetic_files / "online_retail" / "online_retail.csv", synthetic_files / "olist")
    for name, frame in marts.items():
        assert len(frame) == floor.execute(f"select count(*) from {name}").fetchone()[0], name

    daily = marts["sales_daily"]
    floor.register("pandas_sales_daily", daily)
    keys = "store, cast(order_date as date), dimension, dimension_value"
    measures = (
        "order_count, cancelled_order_count, line_count, units_sold, customer_count, new_customer_count, "
        "returning_customer_count, valued_order_count"
    )
    money = "gross_sales_amount, cancellation_amount, net_revenue_amount"
    pandas_money = ", ".join(f"cast({column} as bigint)" for column in money.split(", "))
    floor_money = ", ".join(f"cast({column} * 10000 as bigint)" for column in money.split(", "))
    differing = floor.execute(
        f"""
        select count(*) from (
            select {keys}, {measures}, {pandas_money} from pandas_sales_daily
            except all
            select {keys}, {measures}, {floor_money} from sales_daily
        )
        """
    ).fetchone()[0]
    assert differing == 0

    rfm = marts["customer_rfm"]
    floor.register("pandas_rfm", rfm)
    differing = floor.execute(
        """
        select count(*) from (
            select customer_key, recency_days, frequency, cast(monetary as bigint), r_score, f_score, m_score, rfm_segment
            from pandas_rfm
            except all
            select customer_key, recency_days, frequency, cast(monetary * 10000 as bigint), r_score, f_score, m_score,
                rfm_segment
            from customer_rfm
        )
        """
    ).fetchone()[0]
    assert differing == 0
