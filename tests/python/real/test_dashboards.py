"""The Evidence dashboards (dashboards/), built from the real warehouse and loaded in Chromium.

The site is built exactly as `make dashboards` does (npm run sources, npm run build:strict) but
from the published file of the `real_build` fixture; tests/browser.mjs (playwright-core with the
system Chromium, headless, every outside request aborted) visits every page. The numbers marked
`data-check` on the pages are compared with the same figures queried from the DuckDB file
here, mostly by a different route than the page's own SQL (e.g. from fct_order_lines).
Screenshots go to artifacts/dashboards/ (git-ignored); their paths are printed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import REPO_ROOT

DASHBOARDS = REPO_ROOT / "dashboards"
ARTIFACTS = REPO_ROOT / "artifacts" / "dashboards"
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# Pages without a chart: the report is text whose numbers come from queries.
TEXT_ONLY_PAGES = {"/report"}

# Real data by its folder; browser too, so `-m "not browser"` leaves the Chromium run out.
pytestmark = pytest.mark.browser


def page_paths() -> list[str]:
    """Every page of the project: pages/index.md is "/", pages/x.md is "/x"."""
    paths = []
    for page in sorted((DASHBOARDS / "pages").glob("*.md")):
        paths.append("/" if page.stem == "index" else f"/{page.stem}")
    return paths


def npm(*args: str, env: dict[str, str] | None = None, timeout: int = 900) -> float:
    started = time.monotonic()
    completed = subprocess.run(
        ["npm", *args], cwd=DASHBOARDS, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    output = completed.stdout + completed.stderr
    assert completed.returncode == 0, f"npm {' '.join(args)} failed:\n{output[-6000:]}"
    return time.monotonic() - started


@pytest.fixture(scope="module")
def site(real_build) -> Path:
    if shutil.which("npm") is None:
        pytest.skip("npm is not installed: the dashboards are not built")
    if not (DASHBOARDS / "node_modules" / ".installed").exists():
        npm("ci", "--no-audit", "--no-fund")
        (DASHBOARDS / "node_modules" / ".installed").touch()
    env = {
        **os.environ,
        # The Evidence DuckDB driver joins `filename` onto sources/warehouse/ and opens it read-only.
        "EVIDENCE_SOURCE__warehouse__filename": os.path.relpath(
            real_build.warehouse, DASHBOARDS / "sources" / "warehouse"
        ),
    }
    sources_seconds = npm("run", "sources", env=env)
    build_seconds = npm("run", "build:strict", env=env)
    print(f"\ndashboards: npm run sources {sources_seconds:.0f} s, npm run build:strict {build_seconds:.0f} s")
    assert (DASHBOARDS / "build" / "index.html").exists()
    return DASHBOARDS / "build"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def browsed(site) -> dict[str, dict]:
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs Debian's chromium when run as root)")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(site), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the local web server did not start"
                time.sleep(0.2)
        completed = subprocess.run(
            [
                "node",
                "tests/browser.mjs",
                "--base-url",
                f"http://127.0.0.1:{port}",
                "--out",
                str(ARTIFACTS),
                "--chromium",
                str(CHROMIUM),
                *page_paths(),
            ],
            cwd=DASHBOARDS,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert completed.returncode == 0, completed.stderr[-4000:]
    pages = {page["path"]: page for page in json.loads(completed.stdout)}
    print("\ndashboard screenshots:")
    for path, page in pages.items():
        print(f"  {path:28} {page['screenshot']}  ({page['seconds']:.1f} s)")
    return pages


def test_every_page_is_visited(browsed):
    assert sorted(browsed) == sorted(page_paths())
    assert len(browsed) >= 6


@pytest.mark.parametrize("path", page_paths())
def test_page_renders_offline_without_errors(browsed, path):
    page = browsed[path]
    assert "renderError" not in page, page.get("renderError")
    assert page["outsideRequests"] == [], "the site must work offline"
    assert page["consoleErrors"] == []
    assert page["pageErrors"] == []
    assert page["failedRequests"] == []
    assert page["errorBoxes"] == [], "an Evidence component shows an error"
    assert page["emptyPlaceholders"] == [], "a component shows 'No Records'"
    assert page["toasts"] == [], "Evidence shows a warning toast"
    assert "Loading..." not in page["text"]
    assert Path(page["screenshot"]).stat().st_size > 10_000


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
where store = '{store}' and series_id = 'orders|overall|all' and fold_role = 'evaluation'
    and model_name = (
        select model_name from ml.forecast_model_selection
        where store = '{store}' and series_id = 'orders|overall|all' and is_chosen
    )
"""

# Each checked number on the site and the SQL that gives it from the warehouse, computed
# independently of the page's query where the warehouse allows.
NUMBER_CHECKS = {
    "/": {
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
    },
    "/clusters": {
        "online_retail_chosen_method": "select method from ml.segmentation_model_selection where store = 'online_retail' and is_chosen",
        "online_retail_chosen_k": "select k from ml.segmentation_model_selection where store = 'online_retail' and is_chosen",
        "olist_chosen_method": "select method from ml.segmentation_model_selection where store = 'olist' and is_chosen",
        "olist_chosen_k": "select k from ml.segmentation_model_selection where store = 'olist' and is_chosen",
    },
    "/churn_value": {
        # ROC-AUC recomputed from the validation predictions (Mann-Whitney, ties at their mean rank).
        "online_retail_best_roc_auc": ROC_AUC_FROM_PREDICTIONS.format(store="online_retail"),
        "olist_best_roc_auc": ROC_AUC_FROM_PREDICTIONS.format(store="olist"),
    },
    "/demand": {
        # The chosen model's mean MASE, averaged here from its evaluation folds.
        "online_retail_demand_mase": DEMAND_MASE_FROM_BACKTEST.format(store="online_retail"),
        "olist_demand_mase": DEMAND_MASE_FROM_BACKTEST.format(store="olist"),
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
        "report_online_retail_peak_month": (
            "select month_start_date from marts.sales_monthly where store = 'online_retail' and dimension = 'overall'"
            " order by net_revenue_amount desc limit 1"
        ),
    },
}


@pytest.mark.parametrize("path", sorted(NUMBER_CHECKS))
def test_numbers_on_page_equal_the_warehouse(browsed, real_build, path):
    shown = browsed[path]["checks"]
    assert sorted(shown) == sorted(NUMBER_CHECKS[path]), "the page's data-check numbers and this test disagree"
    for name, sql in NUMBER_CHECKS[path].items():
        expected = real_build.scalar(sql)
        text = shown[name]
        if isinstance(expected, str):
            assert text == expected, (name, text, expected)
            continue
        if isinstance(expected, date):
            assert text == expected.strftime("%B %Y"), (name, text, expected)
            continue
        places = decimals_shown(text)
        # The page rounds to what it shows: equal within half a unit of its last digit.
        tolerance = 0.5 * 10 ** (-places) + 1e-9
        value = float(expected) if isinstance(expected, Decimal) else expected
        assert abs(number_on_page(text) - value) <= tolerance, (name, text, expected)
