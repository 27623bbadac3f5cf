"""The semantic layer (models/semantic/, docs/metrics.md): MetricFlow's `mf`, run as an analyst
runs it, answers with the numbers of the marts, reads the published warehouse read-only and
never adds GBP to BRL."""

from __future__ import annotations

import csv
import hashlib
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from helpers import DBT, REPO_ROOT

MF = Path(sys.executable).parent / "mf"
MONETARY_METRICS = ("net_revenue", "gross_sales", "cancellations", "average_order_value")


@dataclass
class SemanticLayer:
    """A dbt project whose target/ is its own (mf reads <project>/target/semantic_manifest.json
    and ignores DBT_TARGET_PATH), querying one published warehouse through the metrics target."""

    project: Path
    env: dict[str, str]
    queries: list[Path] = field(default_factory=list)

    def run(self, *args) -> str:
        completed = subprocess.run(
            [str(arg) for arg in args], cwd=self.project, env=self.env, capture_output=True, text=True, check=False
        )
        assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
        return completed.stdout

    def query(self, *args) -> list[dict[str, str]]:
        """`mf query ARGS`, its result rows as text ('' for an empty value)."""
        out = self.project.parent / f"query_{len(self.queries)}.csv"
        self.queries.append(out)
        self.run(MF, "query", *args, "--csv", out, "--quiet")
        with out.open(newline="") as file:
            return list(csv.DictReader(file))


@pytest.fixture(scope="module")
def semantic_layer(synthetic_build, tmp_path_factory) -> SemanticLayer:
    """The repo's files linked into a fresh folder (so parsing never touches the repo's target/),
    parsed with the metrics target against the synthetic build's published file."""
    root = tmp_path_factory.mktemp("semantic_layer")
    project = root / "project"
    project.mkdir()
    for entry in REPO_ROOT.iterdir():
        if entry.name not in {"target", "logs"} and not entry.name.startswith("."):
            (project / entry.name).symlink_to(entry)
    env = {name: value for name, value in os.environ.items() if name not in {"DBT_PROFILES_DIR", "DBT_PROJECT_DIR"}}
    env.update(
        DBT_TARGET="metrics",
        RETAIL_WAREHOUSE=str(synthetic_build.warehouse),
        DBT_TARGET_PATH=str(project / "target"),
        DBT_LOG_PATH=str(root / "logs"),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    layer = SemanticLayer(project, env)
    layer.run(DBT, "parse")
    return layer


def number(text: str) -> float | None:
    return None if text == "" else float(text)


def by_key(rows: list[dict[str, str]], *key_columns: str) -> dict[tuple, dict[str, float | None]]:
    """Rows keyed by their group-by values (metric_time as its day), metric values as numbers."""
    keyed = {}
    for row in rows:
        key = tuple(row.pop(column).removesuffix(" 00:00:00") for column in key_columns)
        keyed[key] = {metric: number(value) for metric, value in row.items()}
    return keyed


def mf_by_period_and_store(layer: SemanticLayer, metrics, grain: str, *args) -> dict[tuple, dict[str, float | None]]:
    """`mf query` of metrics by metric_time at grain and store, keyed by (day, store)."""
    rows = layer.query("--metrics", ",".join(metrics), "--group-by", f"metric_time__{grain},store", *args)
    return by_key(rows, f"metric_time__{grain}", "store")


def sql_by_key(build, sql: str, key_width: int) -> dict[tuple, dict[str, float | None]]:
    """The same shape from SQL on the marts: the first key_width columns are the key."""
    with duckdb.connect(str(build.warehouse), read_only=True) as con:
        relation = con.sql(sql)
        names, rows = relation.columns, relation.fetchall()
    keyed = {}
    for values in rows:
        key = tuple(str(value) for value in values[:key_width])
        keyed[key] = {
            name: None if value is None else float(value) for name, value in zip(names[key_width:], values[key_width:])
        }
    return keyed


def assert_same_figures(from_mf, from_sql, abs_tolerance=1e-9):
    assert from_mf.keys() == from_sql.keys()
    for key, expected in from_sql.items():
        for metric, value in expected.items():
            got = from_mf[key][metric]
            if value is None:
                assert got is None, (key, metric, got)
            else:
                assert got == pytest.approx(value, rel=1e-9, abs=abs_tolerance), (key, metric)


def test_metricflow_validates_the_definitions_against_the_warehouse(semantic_layer):
    """Every semantic model, dimension, entity, measure and metric queried on the build."""
    output = semantic_layer.run(MF, "validate-configs")
    assert "against data warehouse" in output
    assert "ERROR:" not in output


def test_store_headline_equals_the_dashboards_kpis(semantic_layer, synthetic_build):
    """The saved query behind the Overview's KPIs against the dashboards' own source query."""
    from_mf = by_key(semantic_layer.query("--saved-query", "store_headline"), "store")
    store_kpis = (REPO_ROOT / "dashboards" / "sources" / "warehouse" / "store_kpis.sql").read_text()
    from_sql = sql_by_key(
        synthetic_build,
        f"""
        select
            store,
            net_revenue_amount as net_revenue,
            sale_order_count as orders,
            customer_count as customers,
            average_order_value,
            cancelled_order_count / sale_order_count as cancelled_order_share
        from ({store_kpis})
        """,
        1,
    )
    assert len(from_sql) == 2
    assert_same_figures(from_mf, from_sql)


def test_store_totals_equal_the_facts(semantic_layer, synthetic_build):
    metrics = ("gross_sales", "cancellations", "units_sold", "new_customers", "returning_customers")
    from_mf = by_key(semantic_layer.query("--metrics", ",".join(metrics), "--group-by", "store"), "store")
    from_sql = sql_by_key(
        synthetic_build,
        """
        with lines as (
            select
                store,
                sum(gross_sales_amount) as gross_sales,
                sum(cancellation_amount) as cancellations,
                sum(quantity) filter (where line_type = 'sale') as units_sold
            from marts.fct_order_lines
            group by store
        ),

        customers as (
            select
                store,
                count(*) filter (where first_order_date is not null) as new_customers
            from marts.dim_customers
            group by store
        ),

        returning_customers as (
            select
                orders.store,
                count(distinct orders.customer_key) as returning_customers
            from marts.fct_orders as orders
            inner join marts.dim_customers as customers on orders.customer_key = customers.customer_key
            where orders.order_type = 'sale' and orders.order_date > customers.first_order_date
            group by orders.store
        )

        select * from lines
        inner join customers using (store)
        inner join returning_customers using (store)
        """,
        1,
    )
    assert_same_figures(from_mf, from_sql)


def test_monthly_figures_equal_sales_monthly(semantic_layer, synthetic_build):
    metrics = ("net_revenue", "orders", "customers", "new_customers", "returning_customers", "average_order_value")
    from_mf = mf_by_period_and_store(semantic_layer, metrics, "month")
    from_sql = sql_by_key(
        synthetic_build,
        """
        select
            month_start_date,
            store,
            net_revenue_amount as net_revenue,
            order_count as orders,
            customer_count as customers,
            new_customer_count as new_customers,
            returning_customer_count as returning_customers,
            average_order_value
        from marts.sales_monthly
        where dimension = 'overall'
        """,
        2,
    )
    # sales_monthly stores the average order value rounded to 4 decimals.
    assert_same_figures(from_mf, from_sql, abs_tolerance=5e-5)


@pytest.mark.parametrize(
    ("grain", "mart", "period_column"),
    [("day", "sales_daily", "order_date"), ("week", "sales_weekly", "week_start_date")],
)
def test_daily_and_weekly_figures_equal_the_sales_marts(semantic_layer, synthetic_build, grain, mart, period_column):
    from_mf = mf_by_period_and_store(semantic_layer, ("net_revenue", "orders", "customers"), grain)
    from_sql = sql_by_key(
        synthetic_build,
        f"""
        select {period_column}, store, net_revenue_amount as net_revenue, order_count as orders,
            customer_count as customers
        from marts.{mart}
        where dimension = 'overall'
        """,
        2,
    )
    assert_same_figures(from_mf, from_sql)


def test_olist_delivery_equals_the_customer_experience_marts(semantic_layer, synthetic_build):
    metrics = (
        "orders",
        "delivered_share",
        "cancelled_order_share",
        "on_time_delivery_share",
        "late_delivery_share",
        "mean_delivery_days",
        "freight_share",
    )
    from_mf = mf_by_period_and_store(semantic_layer, metrics, "month", "--where", "{{ Entity('store') }} = 'olist'")
    from_sql = sql_by_key(
        synthetic_build,
        """
        select
            month_start_date,
            'olist' as store,
            order_count as orders,
            delivered_share,
            cancelled_share as cancelled_order_share,
            on_time_share as on_time_delivery_share,
            1 - on_time_share as late_delivery_share,
            mean_delivery_days,
            freight_price_ratio as freight_share
        from marts.olist_customer_experience_monthly
        """,
        2,
    )
    assert_same_figures(from_mf, from_sql)


def test_review_score_equals_the_reviews_mart(semantic_layer, synthetic_build):
    from_mf = by_key(semantic_layer.query("--metrics", "reviews,review_score", "--group-by", "store"), "store")
    from_sql = sql_by_key(
        synthetic_build,
        "select store, count(*) as reviews, avg(review_score) as review_score from marts.fct_order_reviews group by store",
        1,
    )
    assert from_sql[("olist",)]["reviews"] > 0
    assert_same_figures(from_mf, from_sql)


def test_retention_rates_equal_customer_rfm(semantic_layer, synthetic_build):
    from_mf = by_key(semantic_layer.query("--saved-query", "customer_retention"), "store")
    from_sql = sql_by_key(
        synthetic_build,
        """
        select
            store,
            count(*) as rfm_customers,
            avg(case when frequency >= 2 then 1 else 0 end) as repeat_rate,
            avg(case when recency_days > case store when 'olist' then 180 else 90 end then 1 else 0 end) as churn_rate
        from marts.customer_rfm
        group by store
        """,
        1,
    )
    assert_same_figures(from_mf, from_sql)


def test_amounts_are_never_added_across_currencies(semantic_layer, synthetic_build):
    """Without store, a row holds GBP and BRL: the amounts are empty, although the unchecked sum
    under them is there; grouped by store or filtered to one, they are the store's."""
    totals = semantic_layer.query("--metrics", ",".join((*MONETARY_METRICS, "net_revenue_unchecked")))
    assert len(totals) == 1
    assert all(totals[0][metric] == "" for metric in MONETARY_METRICS)
    both_stores = synthetic_build.scalar("select sum(net_revenue_amount) from marts.fct_orders")
    assert float(totals[0]["net_revenue_unchecked"]) == pytest.approx(float(both_stores))

    olist_only = semantic_layer.query("--metrics", "net_revenue", "--where", "{{ Entity('store') }} = 'olist'")
    olist_revenue = synthetic_build.scalar("select sum(net_revenue_amount) from marts.fct_orders where store = 'olist'")
    assert float(olist_only[0]["net_revenue"]) == pytest.approx(float(olist_revenue))

    by_currency = by_key(
        semantic_layer.query(
            "--metrics", "net_revenue,gross_sales,cancellations", "--group-by", "order_line__currency_code"
        ),
        "order_line__currency_code",
    )
    assert set(by_currency) == {("GBP",), ("BRL",)}
    assert by_currency[("GBP",)]["net_revenue"] is not None


def test_queries_leave_the_published_file_and_the_build_copy_untouched(semantic_layer, synthetic_build):
    def state(path: Path):
        return path.stat().st_mtime_ns, hashlib.md5(path.read_bytes()).hexdigest()

    before = state(synthetic_build.warehouse), state(synthetic_build.build_file)
    semantic_layer.query("--saved-query", "monthly_sales")
    semantic_layer.run(MF, "validate-configs")
    assert (state(synthetic_build.warehouse), state(synthetic_build.build_file)) == before
