"""The Evidence dashboards (dashboards/), built from the real warehouse and loaded in Chromium.

The site is built exactly as `make dashboards` does (npm run sources, npm run build:strict) but
from the published file of the `real_build` fixture; tests/browser.mjs (playwright-core with the
system Chromium, headless, every outside request aborted) visits every page. The numbers marked
`data-check` on the pages are compared with the same figures queried from the DuckDB file
here, mostly by a different route than the page's own SQL (e.g. from fct_order_lines).
A second site is built from the synthetic warehouse, which has reviews, so the review charts
are drawn. On both, every input is driven (scenarios(): a non-default choice and the figures
DuckDB gives with that filter), drill-down CSV downloads are read, and the presentation page is
printed to a PDF. Screenshots of the real site go to artifacts/dashboards/ (git-ignored), the
synthetic site's to the test's tmp dir; their paths are printed.

Each site is built and browsed in a lane of the shared builds (SHARED_JOBS, conftest.py) once
the builds are done, while the other modules' tests run: this module runs last and reads what
the browser reported.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from helpers import REPO_ROOT

from retail_warehouse.dashboards_site import page_paths, presentation, run_browser, served

DASHBOARDS = REPO_ROOT / "dashboards"
ARTIFACTS = REPO_ROOT / "artifacts" / "dashboards"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Pages without a chart: the report is text whose numbers come from queries.
TEXT_ONLY_PAGES = {"/report"}
# The customer experience page's review charts (data-chart names), drawn when there are reviews.
REVIEW_CHARTS = (
    "state_review_score_by_month",
    "review_score_by_month",
    "nps_like_score_by_month",
    "review_score_by_lateness",
)

# Real data by its folder; browser too, so `-m "not browser"` leaves the Chromium run out.
pytestmark = pytest.mark.browser
# The two sites are built in two lanes at once, but both in dashboards/ (.evidence/, build/).
DASHBOARDS_FOLDER = threading.Lock()


def npm(*args: str, env: dict[str, str] | None = None, timeout: int = 900) -> float:
    started = time.monotonic()
    completed = subprocess.run(
        ["npm", *args], cwd=DASHBOARDS, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"npm {' '.join(args)} failed:\n{output[-6000:]}"
    return time.monotonic() - started


def build_site(warehouse: Path, out: Path) -> Path:
    """The site of one published warehouse, built as `make dashboards` does, copied to `out`
    (dashboards/build is rewritten by the next build)."""
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the dashboards are not built")
    env = {
        **os.environ,
        # The Evidence DuckDB driver joins `filename` onto sources/warehouse/ and opens it read-only.
        "EVIDENCE_SOURCE__warehouse__filename": os.path.relpath(warehouse, DASHBOARDS / "sources" / "warehouse"),
    }
    with DASHBOARDS_FOLDER:
        if not (DASHBOARDS / "node_modules" / ".installed").exists():
            npm("ci", "--no-audit", "--no-fund")
            (DASHBOARDS / "node_modules" / ".installed").touch()
        sources_seconds = npm("run", "sources", env=env)
        build_seconds = npm("run", "build:strict", env=env)
        print(f"\ndashboards: npm run sources {sources_seconds:.0f} s, npm run build:strict {build_seconds:.0f} s")
        assert (DASHBOARDS / "build" / "index.html").exists()
        shutil.copytree(DASHBOARDS / "build", out)
    return out


def browse(site: Path, screenshots: Path, scenarios: list[dict], tmp_path: Path) -> list[dict]:
    """Every page, then every scenario, as tests/browser.mjs reports them."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's chromium when run as root)")
    scenario_file = tmp_path / "scenarios.json"
    scenario_file.write_text(json.dumps(scenarios, default=str))
    with served(site) as base_url:
        records = run_browser(
            base_url,
            CHROMIUM,
            "--out",
            str(screenshots),
            "--timeout-ms",
            "60000",
            "--scenarios",
            str(scenario_file),
            *page_paths(),
        )
    print(f"\ndashboard screenshots ({site}):")
    for record in records:
        label = record["path"] + (f" [{record['scenario']}]" if "scenario" in record else "")
        print(f"  {label:48} {record['screenshot']}  ({record['seconds']:.1f} s)")
    return records


class BrowsedSite(NamedTuple):
    """A built site and what the browser reported of its pages and scenarios."""

    site: Path
    records: list[dict]


def built_and_browsed_real(builds, tmp_path_factory) -> BrowsedSite:
    build = builds.result("real_build")
    site = build_site(build.warehouse, tmp_path_factory.mktemp("real_site") / "build")
    return BrowsedSite(site, browse(site, ARTIFACTS, scenarios(build), tmp_path_factory.mktemp("real_browse")))


def built_and_browsed_synthetic(builds, tmp_path_factory) -> BrowsedSite:
    """The synthetic set has reviews (the real download has none): its review charts are drawn."""
    build = builds.result("synthetic_build")
    site = build_site(build.warehouse, tmp_path_factory.mktemp("synthetic_site") / "build")
    screenshots = tmp_path_factory.mktemp("synthetic_screenshots")
    return BrowsedSite(site, browse(site, screenshots, scenarios(build), tmp_path_factory.mktemp("synthetic_browse")))


# Jobs for the lanes of the shared builds (conftest.py), by the name of the fixture that reads them.
SHARED_JOBS = {"real_dashboards": built_and_browsed_real, "synthetic_dashboards": built_and_browsed_synthetic}


@pytest.fixture(scope="module")
def real_dashboards(real_build, shared_builds) -> BrowsedSite:
    return shared_builds.result("real_dashboards")


@pytest.fixture(scope="module")
def synthetic_dashboards(synthetic_build, shared_builds) -> BrowsedSite:
    return shared_builds.result("synthetic_dashboards")


@pytest.fixture(scope="module")
def real_site(real_dashboards) -> Path:
    return real_dashboards.site


@pytest.fixture(scope="module")
def real_records(real_dashboards) -> list[dict]:
    return real_dashboards.records


@pytest.fixture(scope="module")
def browsed(real_records) -> dict[str, dict]:
    return {record["path"]: record for record in real_records if "scenario" not in record}


@pytest.fixture(scope="module")
def synthetic_records(synthetic_dashboards) -> list[dict]:
    return synthetic_dashboards.records


@pytest.fixture(scope="module", params=["real", "synthetic"])
def site_records(request) -> tuple[object, list[dict]]:
    """(build, records) of the real and of the synthetic site."""
    build = request.getfixturevalue(f"{request.param}_build")
    return build, request.getfixturevalue(f"{request.param}_records")


def test_every_page_is_visited(browsed):
    assert sorted(browsed) == sorted(page_paths())
    assert len(browsed) >= 6


@pytest.mark.parametrize("path", page_paths())
def test_page_renders_offline_without_errors(browsed, path):
    assert_clean(browsed[path])
    assert browsed[path]["emptyPlaceholders"] == [], "a component shows 'No Records'"


@pytest.mark.parametrize("path", page_paths())
def test_page_charts_are_drawn(browsed, path):
    charts = browsed[path]["charts"]
    if path in TEXT_ONLY_PAGES:
        return
    assert charts, f"{path} has no chart"
    for chart in charts:
        assert chart["hasCanvas"] and chart["width"] > 100 and chart["height"] > 100, chart
        # Axes and labels alone ink about 1-2% of the canvas; marks of the data add more.
        assert chart["ink"] > 0.02, f"chart {chart['index']} of {path} looks empty: {chart}"


def test_review_charts_drawn_only_with_reviews(real_build, browsed):
    """The real download has no reviews file: no review chart is drawn (the page says why)."""
    names = {chart["name"] for chart in browsed["/customer_experience"]["charts"]}
    assert (set(REVIEW_CHARTS) <= names) == has_reviews(real_build)
    assert not (set(REVIEW_CHARTS) & names) or has_reviews(real_build)


def number_on_page(text: str) -> float:
    """'£8,300,123' -> 8300123.0; '12.5%' -> 0.125."""
    cleaned = re.sub(r"[^0-9.,%\-]", "", text).replace(",", "")
    if cleaned.endswith("%"):
        return float(cleaned[:-1]) / 100
    return float(cleaned)


def decimals_shown(text: str) -> int:
    digits = re.sub(r"[^0-9.]", "", text)
    places = len(digits.split(".")[1]) if "." in digits else 0
    return places + 2 if text.strip().endswith("%") else places


ROC_AUC_FROM_PREDICTIONS = """
with predictions as (
    select is_positive, probability
    from ml.churn_validation_predictions
    where store = '{store}'
        and model_name = (select model_name from ml.churn_model_metrics where store = '{store}' and is_best)
),
ranked as (
    select is_positive, rank() over (order by probability) + (count(*) over (partition by probability) - 1) / 2 as mean_rank
    from predictions
)
select
    (sum(mean_rank) filter (where is_positive) - count(*) filter (where is_positive) * (count(*) filter (where is_positive) + 1) / 2)
    / (count(*) filter (where is_positive) * count(*) filter (where not is_positive))
from ranked
"""

DEMAND_MASE_FROM_BACKTEST = """
select avg(mase)
from ml.forecast_backtest
where store = '{store}' and series_id = '{series}' and fold_role = 'evaluation'
    and model_name = (
        select model_name from ml.forecast_model_selection
        where store = '{store}' and series_id = '{series}' and is_chosen
    )
"""

DEMAND_CHOSEN_MODEL = "select model_name from ml.forecast_model_selection where store = '{store}' and series_id = '{series}' and is_chosen"
# The Demand explorer's days: observed and forecast, of every series of both stores.
DEMAND_LAST_DAY = (
    "select greatest(max(series_date), (select max(forecast_date) from ml.demand_forecast)) from ml.demand_series"
)


def demand_expected(build, store: str, series: str, start: date | None = None, end: date | None = None) -> dict:
    """The Demand explorer's figures for one series over [start, end] (every day when not given),
    from the series, forecast and backtest tables."""
    where = f"store = '{store}' and series_id = '{series}'"
    days = f" between '{start}' and '{end}'" if start else " is not null"
    return {
        "demand_period_observed": build.scalar(
            f"select coalesce(sum(actual_value), 0) from ml.demand_series where {where} and series_date{days}"
        ),
        "demand_period_forecast": build.scalar(
            f"select coalesce(sum(point_forecast), 0) from ml.demand_forecast where {where} and forecast_date{days}"
        ),
        "demand_series_model": build.scalar(DEMAND_CHOSEN_MODEL.format(store=store, series=series)),
        "demand_series_mase": build.scalar(DEMAND_MASE_FROM_BACKTEST.format(store=store, series=series)),
    }


# The Recommendations explorer's item levels of a store: the served level first.
REC_LEVELS = (
    "select item_level from ml.recommendation_metrics where store = '{store}'"
    " group by item_level order by bool_or(is_serving_method) desc, item_level"
)


def recommendations_expected(build, store: str, level: str) -> dict:
    """The Recommendations explorer's figures for one store and item level: hit rates from the
    metrics, what is served from the recommendations themselves, the rules shown (top 25 each)."""
    where = f"store = '{store}' and item_level = '{level}'"
    return {
        "rec_selected_best_hit_rate": build.scalar(
            f"select max(hit_rate_at_k) from ml.recommendation_metrics where {where} and protocol = 'new_items'"
        ),
        "rec_selected_popularity_hit_rate": build.scalar(
            f"select hit_rate_at_k from ml.recommendation_metrics where {where}"
            " and protocol = 'new_items' and method = 'popularity'"
        ),
        "rec_selected_customers": build.scalar(
            f"select count(distinct customer_key) from ml.product_recommendations where {where}"
        ),
        "rec_selected_rules": build.scalar(
            f"select count(*) from ml.product_associations where {where} and rule_rank <= 25"
        ),
    }


ORDER_REVIEW_SCORE = """
with order_scores as (
    select order_key, avg(review_score) as review_score from marts.fct_order_reviews group by order_key
)
select avg(order_scores.review_score)
from marts.fct_orders as orders
inner join order_scores on orders.order_key = order_scores.order_key
where orders.store = 'olist' and orders.order_type = 'sale' and {where}
"""

# A drill-down's customers and value at risk (12-month value x churn probability) from the ml
# tables themselves, not from customer_360: {members} selects the customer keys.
DRILL_TOTALS = """
select count(*), sum(value.value_12m * churn.churn_probability)
from ({members}) as members
inner join ml.customer_value_predictions as value on members.customer_key = value.customer_key
left join ml.churn_scores as churn on members.customer_key = churn.customer_key
"""
DRILL_TOP_CUSTOMER = """
select value.customer_id
from ({members}) as members
inner join ml.customer_value_predictions as value on members.customer_key = value.customer_key
left join ml.churn_scores as churn on members.customer_key = churn.customer_key
order by value.value_12m * churn.churn_probability desc nulls last, value.customer_id
limit 1
"""
# The drill-downs' first options (their defaults): the largest segment, the highest risk band.
RFM_MEMBERS = "select customer_key from marts.customer_rfm where store = '{store}' and rfm_segment = '{value}'"
RFM_OPTIONS = (
    "select rfm_segment from marts.customer_rfm where store = '{store}'"
    " group by rfm_segment order by count(*) desc, rfm_segment"
)
CLUSTER_MEMBERS = "select customer_key from ml.customer_segments where store = '{store}' and segment_name = '{value}'"
CLUSTER_OPTIONS = (
    "select segment_name from ml.customer_segments where store = '{store}'"
    " group by segment_name order by count(*) desc, segment_name"
)
RISK_MEMBERS = "select customer_key from ml.churn_scores where store = '{store}' and risk_band = '{value}'"
RISK_OPTIONS = (
    "select risk_band from ml.churn_scores where store = '{store}' group by risk_band"
    " order by case risk_band when 'high' then 1 when 'medium' then 2 when 'low' then 3 else 4 end, risk_band"
)
# The customer lookup's list: by predicted 12-month value.
CUSTOMERS_BY_VALUE = (
    "select customer_id, customer_key from ml.customer_value_predictions where store = '{store}'"
    " order by value_12m desc nulls last, customer_id"
)

# Each checked number on the site and the SQL that gives it from the warehouse, computed
# independently of the page's query where the warehouse allows.
REFRESH_LOG_COUNT = (
    "select count(*) filter (where {where}) from (select * from ml.model_refresh_log "
    "qualify row_number() over (partition by model_name, store order by logged_at desc) = 1)"
)

NUMBER_CHECKS = {
    "/": {
        # The explorer's defaults: the first store (Online Retail) over the days of both stores.
        "period_start": "select strftime(min(order_date), '%Y-%m-%d') from marts.fct_orders",
        "period_end": "select strftime(max(order_date), '%Y-%m-%d') from marts.fct_orders",
        "period_net_revenue": "select sum(net_revenue_amount) from marts.fct_orders where store = 'online_retail'",
        "period_sale_orders": "select count(*) from marts.fct_orders where store = 'online_retail' and order_type = 'sale'",
        "online_retail_net_revenue": "select sum(net_revenue_amount) from marts.fct_order_lines where store = 'online_retail'",
        "online_retail_sale_orders": "select count(*) from marts.fct_orders where store = 'online_retail' and order_type = 'sale'",
        "online_retail_customers": (
            "select count(distinct customer_key) from marts.fct_orders where store = 'online_retail' and order_type = 'sale'"
        ),
        "olist_net_revenue": "select sum(net_revenue_amount) from marts.fct_order_lines where store = 'olist'",
        "olist_sale_orders": "select count(*) from marts.fct_orders where store = 'olist' and order_type = 'sale'",
        "olist_customers": "select count(distinct customer_key) from marts.fct_orders where store = 'olist'",
        "raw_rows_total": "select sum(raw_rows) from marts.row_conservation",
    },
    "/sales": {
        "cut_net_revenue": "select sum(net_revenue_amount) from marts.fct_orders where store = 'online_retail'",
        "cut_sale_orders": "select count(*) from marts.fct_orders where store = 'online_retail' and order_type = 'sale'",
        "online_retail_best_product_revenue": (
            "select sum(net_revenue_amount) as revenue from marts.fct_order_lines"
            " where store = 'online_retail' and is_product group by product_key order by revenue desc limit 1"
        ),
    },
    "/data_quality": {
        "dq_raw_rows": "select sum(raw_rows) from marts.row_conservation",
        "dq_quarantined_rows": "select count(*) from intermediate.int_source_rows_quarantined",
        "unusual_order_count": "select count(*) from marts.unusual_orders",
        "missing_file_count": "select count(*) from staging.stg_landing__file_loads where status = 'missing'",
    },
    "/rfm": {
        "online_retail_champions": (
            "select count(*) from marts.customer_rfm where store = 'online_retail' and rfm_segment = 'Champions'"
        ),
    },
    "/customer_experience": {
        "olist_late_share": (
            "select avg(cast(is_delivered_late as integer)) from marts.fct_orders"
            " where store = 'olist' and delivered_to_customer_at is not null"
        ),
        "review_count": "select count(*) from marts.fct_order_reviews",
        "state_orders": "select count(*) from marts.fct_orders where store = 'olist' and order_type = 'sale'",
        "state_late_share": (
            "select avg(cast(is_delivered_late as integer)) from marts.fct_orders where store = 'olist' and order_type = 'sale'"
        ),
        "state_review_score": ORDER_REVIEW_SCORE.format(where="true"),
    },
    "/clusters": {
        "online_retail_chosen_method": "select method from ml.segmentation_model_selection where store = 'online_retail' and is_chosen",
        "online_retail_chosen_k": "select k from ml.segmentation_model_selection where store = 'online_retail' and is_chosen",
        "olist_chosen_method": "select method from ml.segmentation_model_selection where store = 'olist' and is_chosen",
        "olist_chosen_k": "select k from ml.segmentation_model_selection where store = 'olist' and is_chosen",
        # The refresh log: the newest row of each persisted model and store.
        "refresh_models": REFRESH_LOG_COUNT.format(where="true"),
        "refresh_refitted": REFRESH_LOG_COUNT.format(where="action = 'refitted'"),
        "refresh_scored": REFRESH_LOG_COUNT.format(where="action = 'scored'"),
    },
    "/churn_value": {
        # ROC-AUC recomputed from the validation predictions (Mann-Whitney, ties at their mean rank).
        "online_retail_best_roc_auc": ROC_AUC_FROM_PREDICTIONS.format(store="online_retail"),
        "olist_best_roc_auc": ROC_AUC_FROM_PREDICTIONS.format(store="olist"),
    },
    "/demand": {
        # The chosen model's mean MASE, averaged here from its evaluation folds.
        "online_retail_demand_mase": DEMAND_MASE_FROM_BACKTEST.format(
            store="online_retail", series="orders|overall|all"
        ),
        "olist_demand_mase": DEMAND_MASE_FROM_BACKTEST.format(store="olist", series="orders|overall|all"),
        # The models named on the page: the neural ones (lstm, gru) when the build ran them.
        "demand_compared_models": (
            "select string_agg(model_name, ', ' order by model_name) from (select distinct model_name"
            " from ml.forecast_backtest where series_id = 'orders|overall|all')"
        ),
        "anomaly_autoencoder_models": (
            "select string_agg(autoencoder_model, ', ' order by autoencoder_model)"
            " from (select distinct autoencoder_model from ml.anomalies where autoencoder_model is not null)"
        ),
    },
    "/recommendations_retention": {
        "online_retail_serving_hit_rate": (
            "select hit_rate_at_k from ml.recommendation_metrics"
            " where store = 'online_retail' and is_serving_method and protocol = 'new_items'"
        ),
        "olist_serving_hit_rate": (
            "select hit_rate_at_k from ml.recommendation_metrics"
            " where store = 'olist' and is_serving_method and protocol = 'new_items'"
        ),
        "rec_compared_methods": (
            "select string_agg(method, ', ' order by method) from (select distinct method from ml.recommendation_metrics)"
        ),
    },
    "/presentation": {
        "deck_raw_rows": "select sum(raw_rows) from marts.row_conservation",
        "deck_quarantined_rows": "select count(*) from intermediate.int_source_rows_quarantined",
    },
    "/report": {
        "report_online_retail_net_revenue": (
            "select sum(net_revenue_amount) from marts.fct_order_lines where store = 'online_retail'"
        ),
        "report_olist_net_revenue": "select sum(net_revenue_amount) from marts.fct_order_lines where store = 'olist'",
        "report_online_retail_best_revenue_share": (
            "select sum(monetary) filter (where rfm_segment in ('Champions', 'Loyal Customers')) / sum(monetary)"
            " from marts.customer_rfm where store = 'online_retail'"
        ),
        "report_olist_late_share": (
            "select avg(cast(is_delivered_late as integer)) from marts.fct_orders"
            " where store = 'olist' and delivered_to_customer_at is not null"
        ),
        # Predictions where a model, not its baseline, is served (the baseline-comparison table).
        "report_models_beating_baseline": (
            "select (select count(*) from ml.churn_model_metrics where is_best and not is_baseline)"
            " + (select count(*) from ml.customer_value_metrics where is_best and not is_baseline)"
            " + (select count(*) from ml.next_order_metrics"
            " where is_served and method_name = 'transaction_model_median_wait')"
            " + (select count(*) from ml.forecast_model_selection"
            " where is_chosen and series_id like 'orders|overall|%' and model_name != 'seasonal_naive')"
            " + (select count(*) from ml.recommendation_metrics"
            " where is_serving_method and is_headline_protocol and beats_best_baseline)"
        ),
        "report_online_retail_peak_month": (
            "select month_start_date from marts.sales_monthly where store = 'online_retail' and dimension = 'overall'"
            " order by net_revenue_amount desc limit 1"
        ),
    },
}


STORE_LABELS = {"online_retail": "Online Retail (GBP)", "olist": "Olist (BRL)"}
DRILLS = {
    # page: (check prefix, option query, member query)
    "/rfm": ("rfm_drill", RFM_OPTIONS, RFM_MEMBERS),
    "/clusters": ("cluster_drill", CLUSTER_OPTIONS, CLUSTER_MEMBERS),
    "/churn_value": ("risk_drill", RISK_OPTIONS, RISK_MEMBERS),
}


def sql_text(value: str) -> str:
    """A text value for a '...' literal of the queries here (a segment may hold an apostrophe)."""
    return value.replace("'", "''")


def drill_expected(build, prefix: str, members: str) -> tuple[dict, str]:
    customers, value_at_risk = build.query(DRILL_TOTALS.format(members=members))[0]
    top = build.scalar(DRILL_TOP_CUSTOMER.format(members=members))
    return {f"{prefix}_customers": customers, f"{prefix}_value_at_risk": value_at_risk}, top


def lookup_expected(build, store: str, rank: int) -> tuple[str, dict]:
    """The customer at `rank` (0 = first) of the lookup's list, and its figures from the marts
    and ml tables."""
    customer_id, customer_key = build.query(CUSTOMERS_BY_VALUE.format(store=store))[rank]
    key = f"'{customer_key}'"
    return customer_id, {
        "lookup_customer_id": customer_id,
        "lookup_orders": build.scalar(
            f"select count(*) from marts.fct_orders where customer_key = {key} and order_type = 'sale'"
        ),
        "lookup_net_revenue": build.scalar(
            f"select sum(net_revenue_amount) from marts.fct_orders where customer_key = {key}"
        ),
        "lookup_churn_probability": build.scalar(
            f"select churn_probability from ml.churn_scores where customer_key = {key}"
        ),
        "lookup_predicted_value": build.scalar(
            f"select value_12m from ml.customer_value_predictions where customer_key = {key}"
        ),
        # A customer without recommendations (not active) is told so, not shown a blank.
        "lookup_recommendations": build.scalar(
            f"select top_recommended_items from ml.customer_360 where customer_key = {key}"
        )
        or "None served",
    }


def has_reviews(build) -> bool:
    return build.scalar("select count(*) from marts.fct_order_reviews") > 0


def number_checks(build) -> dict[str, dict]:
    """Every page's checked numbers in its default state, as values from the warehouse."""
    checks = {
        path: {name: build.scalar(sql) for name, sql in queries.items()} for path, queries in NUMBER_CHECKS.items()
    }
    # The review box shows when there are no reviews; the review figure when there are.
    checks["/customer_experience"].pop("state_review_score" if not has_reviews(build) else "review_count")
    # The missing-files box (and its count) shows only when an optional file is missing.
    if checks["/data_quality"]["missing_file_count"] == 0:
        checks["/data_quality"].pop("missing_file_count")
    for path, (prefix, options, members) in DRILLS.items():
        first = build.scalar(options.format(store="online_retail"))
        expected, _ = drill_expected(build, prefix, members.format(store="online_retail", value=sql_text(first)))
        checks[path].update(expected)
    checks["/customer"] = lookup_expected(build, "online_retail", 0)[1]
    # The Recommendations explorer's defaults: the first store at its served level.
    level = build.scalar(REC_LEVELS.format(store="online_retail"))
    checks["/recommendations_retention"].update(recommendations_expected(build, "online_retail", level))
    # The Demand explorer's defaults: the first store's overall daily orders, every day.
    checks["/demand"].update(demand_expected(build, "online_retail", "orders|overall|all"))
    return checks


def month_start(day: date, months_later: int) -> date:
    months = day.year * 12 + day.month - 1 + months_later
    return date(months // 12, months % 12 + 1, 1)


def last_months(end: date, months: int) -> tuple[date, date]:
    """Evidence's DateRange preset "Last N Months": the N whole months before the end's month."""
    return month_start(end, -months), month_start(end, 0) - timedelta(days=1)


def scenarios(build) -> list[dict]:
    """For each input, a non-default choice and what the page must then show (from DuckDB)."""
    olist = STORE_LABELS["olist"]
    found = []

    # The period presets count back from the last day of either store.
    end = build.scalar("select max(order_date) from marts.fct_orders")
    start, finish = last_months(end, 12)
    period = f"store = 'olist' and order_date between '{start}' and '{finish}'"
    found.append(
        {
            "path": "/",
            "name": "olist_last_12_months",
            "actions": [{"dropdown": "Store", "option": olist}, {"preset": "Last 12 Months"}],
            "expected": {
                "period_start": str(start),
                "period_end": str(finish),
                "period_net_revenue": build.scalar(
                    f"select sum(net_revenue_amount) from marts.fct_orders where {period}"
                ),
                "period_sale_orders": build.scalar(
                    f"select count(*) from marts.fct_orders where {period} and order_type = 'sale'"
                ),
            },
        }
    )

    state = build.query(
        "select state from marts.fct_orders where store = 'olist' and state is not null"
        " group by state order by sum(net_revenue_amount) desc, state"
    )[1][0]
    start, finish = last_months(end, 6)
    where = f"store = 'olist' and state = '{state}' and order_date between '{start}' and '{finish}'"
    found.append(
        {
            "path": "/sales",
            "name": "olist_state_last_6_months",
            "actions": [
                {"dropdown": "Store", "option": olist},
                {"dropdown": "Cut", "option": f"state: {state}"},
                {"preset": "Last 6 Months"},
            ],
            "expected": {
                "cut_net_revenue": build.scalar(f"select sum(net_revenue_amount) from marts.fct_orders where {where}"),
                "cut_sale_orders": build.scalar(
                    f"select count(*) from marts.fct_orders where {where} and order_type = 'sale'"
                ),
            },
        }
    )

    state = build.scalar(
        "select state from marts.fct_orders where store = 'olist' and order_type = 'sale' and state is not null"
        " group by state order by count(*) desc, state limit 1"
    )
    olist_end = build.scalar(
        "select max(order_date) from marts.fct_orders where store = 'olist' and order_type = 'sale'"
    )
    start, finish = last_months(olist_end.replace(day=1), 12)
    where = f"state = '{state}' and date_trunc('month', order_date) between '{start}' and '{finish}'"
    expected = {
        "state_orders": build.scalar(
            f"select count(*) from marts.fct_orders where store = 'olist' and order_type = 'sale' and {where}"
        ),
        "state_late_share": build.scalar(
            "select avg(cast(is_delivered_late as integer)) from marts.fct_orders"
            f" where store = 'olist' and order_type = 'sale' and {where}"
        ),
    }
    if has_reviews(build):
        expected["state_review_score"] = build.scalar(ORDER_REVIEW_SCORE.format(where=where))
    found.append(
        {
            "path": "/customer_experience",
            "name": "top_state_last_12_months",
            "actions": [{"dropdown": "Customer state", "option": state}, {"preset": "Last 12 Months"}],
            "expected": expected,
        }
    )

    titles = {"/rfm": "RFM segment", "/clusters": "Model segment", "/churn_value": "Risk band"}
    # Olist's second risk band is its dozen unscored customers: the risk bands are driven on Online Retail.
    drill_stores = {"/rfm": "olist", "/clusters": "olist", "/churn_value": "online_retail"}
    for path, (prefix, options, members) in DRILLS.items():
        store = drill_stores[path]
        values = [row[0] for row in build.query(options.format(store=store))]
        expected, top = drill_expected(build, prefix, members.format(store=store, value=sql_text(values[1])))
        actions = [{"dropdown": "Store", "option": STORE_LABELS[store]}] if store != "online_retail" else []
        found.append(
            {
                "path": path,
                "name": f"{store}_second_option",
                "actions": [*actions, {"dropdown": titles[path], "option": values[1]}],
                "download": prefix,
                "expected": expected,
                "expected_download": {"rows": expected[f"{prefix}_customers"], "first_customer": top},
            }
        )

    # An RFM segment with an apostrophe in its name ("Can't Lose Them"): picked, its customers
    # are listed (the page's query must not splice the name into its SQL).
    prefix, options, members = DRILLS["/rfm"]
    quoted = [value for (value,) in build.query(options.format(store="olist")) if "'" in value]
    if quoted:
        expected, top = drill_expected(build, prefix, members.format(store="olist", value=sql_text(quoted[0])))
        found.append(
            {
                "path": "/rfm",
                "name": "segment_with_an_apostrophe",
                "actions": [
                    {"dropdown": "Store", "option": STORE_LABELS["olist"]},
                    {"dropdown": "RFM segment", "option": quoted[0]},
                ],
                "download": prefix,
                "expected": expected,
                "expected_download": {"rows": expected[f"{prefix}_customers"], "first_customer": top},
            }
        )

    # The drill-downs follow the store: a segment or risk band picked on Online Retail, then
    # Olist chosen, shows Olist's first option (largest segment, highest risk band), not the
    # previous store's choice.
    for path in ("/rfm", "/clusters", "/churn_value"):
        prefix, options, members = DRILLS[path]
        retail_values = [row[0] for row in build.query(options.format(store="online_retail"))]
        first = build.scalar(options.format(store="olist"))
        expected, top = drill_expected(build, prefix, members.format(store="olist", value=sql_text(first)))
        found.append(
            {
                "path": path,
                "name": "store_change_resets_segment",
                "actions": [
                    {"dropdown": titles[path], "option": retail_values[1]},
                    {"dropdown": "Store", "option": STORE_LABELS["olist"]},
                ],
                "download": prefix,
                "expected": expected,
                "expected_download": {"rows": expected[f"{prefix}_customers"], "first_customer": top},
            }
        )

    # Data quality: Olist alone (the quarantined rows counted from the quarantine rows themselves).
    expected = {
        "dq_raw_rows": build.scalar("select sum(raw_rows) from marts.row_conservation where store = 'olist'"),
        "dq_quarantined_rows": build.scalar(
            "select count(*) from intermediate.int_source_rows_quarantined where store = 'olist'"
        ),
        "unusual_order_count": build.scalar("select count(*) from marts.unusual_orders where store = 'olist'"),
    }
    missing = build.scalar(
        "select count(*) from staging.stg_landing__file_loads where store = 'olist' and status = 'missing'"
    )
    if missing:
        expected["missing_file_count"] = missing
    found.append(
        {
            "path": "/data_quality",
            "name": "olist",
            "actions": [{"dropdown": "Store", "option": "Olist"}],
            "expected": expected,
        }
    )

    # Recommendations: Olist at its last item level (the one not served when it has two).
    level = build.query(REC_LEVELS.format(store="olist"))[-1][0]
    found.append(
        {
            "path": "/recommendations_retention",
            "name": f"olist_{level}",
            "actions": [{"dropdown": "Store", "option": "Olist"}, {"dropdown": "Item level", "option": level}],
            "expected": recommendations_expected(build, "olist", level),
        }
    )

    # Demand: Olist's second series (after its overall orders) over the last 90 days of data,
    # which hold the forecast days.
    series = build.query(
        "select series_id from ml.demand_series where store = 'olist' group by series_id"
        " order by series_id != 'orders|overall|all', series_id"
    )[1][0]
    last_day = build.scalar(DEMAND_LAST_DAY)
    found.append(
        {
            "path": "/demand",
            "name": "olist_series_last_90_days",
            "actions": [
                {"dropdown": "Store", "option": olist},
                {"dropdown": "Series", "option": series.replace("|", " · ")},
                {"preset": "Last 90 Days"},
            ],
            "expected": demand_expected(build, "olist", series, last_day - timedelta(days=89), last_day),
        }
    )

    customer_id, expected = lookup_expected(build, "olist", 2)
    found.append(
        {
            "path": "/customer",
            "name": "olist_typed_customer",
            "actions": [
                {"dropdown": "Store", "option": olist},
                {"text": "Customer id contains", "value": customer_id[:12]},
                {"dropdown": "Customer", "option": customer_id},
            ],
            "expected": expected,
        }
    )
    return found


def assert_shown(name: str, text: str, expected) -> None:
    """A shown figure equals the warehouse's, to the digits the page shows."""
    if isinstance(expected, str):
        assert text == expected, (name, text, expected)
        return
    if isinstance(expected, date):
        assert text == expected.strftime("%B %Y"), (name, text, expected)
        return
    places = decimals_shown(text)
    # The page rounds to what it shows: equal within half a unit of its last digit.
    tolerance = 0.5 * 10 ** (-places) + 1e-9
    value = float(expected) if isinstance(expected, Decimal) else expected
    assert abs(number_on_page(text) - value) <= tolerance, (name, text, expected)


def assert_clean(record: dict) -> None:
    assert "renderError" not in record, record.get("renderError")
    assert record["outsideRequests"] == [], "the site must work offline"
    assert record["consoleErrors"] == []
    assert record["pageErrors"] == []
    assert record["failedRequests"] == []
    assert record["errorBoxes"] == [], "an Evidence component shows an error"
    assert record["toasts"] == [], "Evidence shows a warning toast"
    assert "Loading..." not in record["text"]
    assert Path(record["screenshot"]).stat().st_size > 10_000


@pytest.mark.parametrize("path", sorted(NUMBER_CHECKS) + ["/customer"])
def test_numbers_on_page_equal_the_warehouse(site_records, path):
    build, records = site_records
    shown = next(record for record in records if record["path"] == path and "scenario" not in record)["checks"]
    expected = number_checks(build)[path]
    assert sorted(shown) == sorted(expected), "the page's data-check numbers and this test disagree"
    for name, value in expected.items():
        assert_shown(name, shown[name], value)


def test_synthetic_pages_render_with_their_charts(synthetic_records):
    """The synthetic set has reviews: every page renders, the review charts among the rest."""
    pages = {record["path"]: record for record in synthetic_records if "scenario" not in record}
    assert sorted(pages) == sorted(page_paths())
    for path, record in pages.items():
        assert_clean(record)
        assert record["emptyPlaceholders"] == [], path
        if path not in TEXT_ONLY_PAGES:
            assert record["charts"], f"{path} has no chart"
            assert all(chart["ink"] > 0.02 for chart in record["charts"]), (path, record["charts"])
    experience = pages["/customer_experience"]
    assert "No reviews in this build" not in experience["text"]
    # ECharts draws titles on the canvas: the review charts are found by their data-chart names.
    drawn = {chart["name"] for chart in experience["charts"] if chart["ink"] > 0.02}
    assert set(REVIEW_CHARTS) <= drawn, sorted(drawn)


def test_synthetic_site_names_the_neural_models(synthetic_records):
    """synthetic_build runs the neural models (var ml_neural): the forecast, recommendation and
    anomaly views name them beside the other models."""
    checks = {record["path"]: record["checks"] for record in synthetic_records if "scenario" not in record}
    assert {"lstm", "gru"} <= set(checks["/demand"]["demand_compared_models"].split(", "))
    assert checks["/demand"]["anomaly_autoencoder_models"] == "torch_autoencoder"
    assert "item2vec" in checks["/recommendations_retention"]["rec_compared_methods"].split(", ")


# The number of scenarios() (a test each; test_every_scenario_is_checked keeps it in step).
SCENARIO_COUNT = 14


def test_every_scenario_is_checked(site_records):
    build, _ = site_records
    assert len(scenarios(build)) == SCENARIO_COUNT


@pytest.mark.parametrize("scenario", range(SCENARIO_COUNT))
def test_inputs_filter_the_figures(site_records, scenario):
    """Each input set to a non-default value: the figures shown equal DuckDB's with that filter,
    and a drill-down's CSV download holds every customer of the selection, most at risk first."""
    build, records = site_records
    wanted = scenarios(build)[scenario]
    record = next(
        record for record in records if record.get("scenario") == wanted["name"] and record["path"] == wanted["path"]
    )
    assert_clean(record)
    assert set(wanted["expected"]) <= set(record["checks"])
    for name, value in wanted["expected"].items():
        assert_shown(name, record["checks"][name], value)
    if "expected_download" in wanted:
        download = record["download"]
        assert download["fileName"].endswith(".csv"), download
        assert download["header"].split(",")[0].strip('"') == "customer_id", download
        assert download["rows"] == wanted["expected_download"]["rows"]
        assert download["firstRow"].split(",")[0].strip('"') == wanted["expected_download"]["first_customer"]


def test_presentation_prints_to_a_pdf_of_about_ten_slides(real_site, tmp_path):
    """make presentation's route: the deck page printed by headless Chromium, a slide a page."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    pdf = tmp_path / "presentation.pdf"
    record = presentation(real_site, pdf, CHROMIUM)
    assert_clean(record)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert 9 <= record["pdfPages"] <= 14, record["pdfPages"]
