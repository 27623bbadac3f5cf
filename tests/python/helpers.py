"""What the tests share besides fixtures: dbt builds into temporary warehouses, the paths of
the real files, and the content hashing that compares two warehouses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import duckdb
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("RETAIL_WAREHOUSE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))
REAL_ONLINE_RETAIL_XLSX = SHARED_DATA / "online_retail" / "Online Retail.xlsx"
REAL_ONLINE_RETAIL_CSV = SHARED_DATA / "online_retail" / "online_retail.csv.gz"
REAL_OLIST_DIR = SHARED_DATA / "olist"
DBT = Path(sys.executable).parent / "dbt"
T = TypeVar("T")


@dataclass
class Build:
    """The outcome of one `dbt build`: its warehouse file, exit code and console output."""

    warehouse: Path
    returncode: int
    output: str

    def query(self, sql: str, params=None) -> list[tuple]:
        with duckdb.connect(str(self.warehouse), read_only=True) as con:
            return con.execute(sql, params or []).fetchall()

    def scalar(self, sql: str, params=None):
        return self.query(sql, params)[0][0]

    @property
    def build_file(self) -> Path:
        """dbt's working copy; published onto `warehouse` when the build passed."""
        return self.warehouse.parent / ".build" / self.warehouse.name

    @property
    def published(self) -> bool:
        return "publish: published " in self.output


def dbt_build_command(
    workdir: Path,
    *,
    online_retail_path: Path | str = "",
    olist_dir: Path | str = "",
    synthetic_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    with_ml: bool = True,
    neural: bool = True,
) -> tuple[list[str], dict[str, str], Path]:
    """The arguments, environment and served warehouse file of a `dbt build` into workdir.

    dbt writes its build copy to workdir/.build/warehouse.duckdb and a complete, passing
    build publishes it onto workdir/warehouse.duckdb (the served file). with_ml=False leaves
    the ML models out (var ml_enabled), for tests of ingestion and publishing that need
    not pay for them; neural=False keeps them but leaves the neural ones out (var ml_neural),
    for builds whose tests do not read the neural models' outputs (the synthetic_build
    fixture and the determinism check run them)."""
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "warehouse.duckdb"
    env = {
        **os.environ,
        "RETAIL_WAREHOUSE": str(warehouse),
        "ONLINE_RETAIL_PATH": str(online_retail_path),
        "OLIST_DIR": str(olist_dir),
        # Keep each build's artefacts apart so builds never share target/ or logs/.
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        **(extra_env or {}),
    }
    dbt_vars = {}
    if synthetic_dir is not None:
        dbt_vars["synthetic_dir"] = str(synthetic_dir)
    if not with_ml:
        dbt_vars["ml_enabled"] = False
    if not neural:
        dbt_vars["ml_neural"] = False
    args = [str(DBT), "build", *extra_args]
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
    return args, env, warehouse


def run_dbt_build(
    workdir: Path,
    *,
    online_retail_path: Path | str = "",
    olist_dir: Path | str = "",
    synthetic_dir: Path | None = None,
    extra_args: tuple[str, ...] = (),
    extra_env: dict[str, str] | None = None,
    with_ml: bool = True,
    neural: bool = True,
) -> Build:
    """`dbt build` from the repo root, as a user runs it, published to workdir/warehouse.duckdb."""
    args, env, warehouse = dbt_build_command(
        workdir,
        online_retail_path=online_retail_path,
        olist_dir=olist_dir,
        synthetic_dir=synthetic_dir,
        extra_args=extra_args,
        extra_env=extra_env,
        with_ml=with_ml,
        neural=neural,
    )
    completed = subprocess.run(args, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)
    return Build(warehouse, completed.returncode, completed.stdout + completed.stderr)


def copy_build(build: Build, workdir: Path) -> Build:
    """build's served file and build copy copied into workdir (modes kept), as if the build had
    run there: a test builds again over the copy without changing the shared build."""
    (workdir / ".build").mkdir(parents=True)
    shutil.copy2(build.warehouse, workdir / build.warehouse.name)
    shutil.copy2(build.build_file, workdir / ".build" / build.warehouse.name)
    return Build(workdir / build.warehouse.name, build.returncode, build.output)


def require_success(build: Build) -> Build:
    assert build.returncode == 0, f"dbt build failed:\n{build.output[-6000:]}"
    return build


def area_reruns_over_copies(build: Build, tmp_path: Path, selection: tuple[str, ...]) -> tuple[Build, Build]:
    """An ML area (a --select of its models) re-run over a copy of build's build file, and re-run
    over another copy with var ml_refit: true, both required to pass. The two runs are apart
    and run side by side (a build keeps about one core of two busy). A selection does not
    publish: read their build files."""

    def rerun(name: str, *extra: str) -> Build:
        workdir = tmp_path / name
        (workdir / ".build").mkdir(parents=True)
        shutil.copy(build.build_file, workdir / ".build" / "warehouse.duckdb")
        return require_success(run_dbt_build(workdir, extra_args=(*selection, *extra)))

    scored, refitted = side_by_side(
        lambda: rerun("again"), lambda: rerun("refit", "--vars", json.dumps({"ml_refit": True}))
    )
    return scored, refitted


def side_by_side(*calls: Callable[[], T]) -> list[T]:
    """The results of calls that do not depend on each other (dbt builds into their own
    folders), run at once, each in a thread: a build keeps about one core of two busy."""
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(call) for call in calls]
        return [future.result() for future in futures]


def require_real_data():
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent: the real-data run is skipped")


# Content hashing: the schemas whose tables two builds must agree on.
HASHED_SCHEMAS = ("marts", "ml")
# The history of refits (one row per build, with timings) differs between builds by design.
UNHASHED_TABLES = frozenset({"ml.model_refresh_log"})

FLOAT_TYPES = {"DOUBLE", "FLOAT", "REAL"}
# Floating-point aggregates (avg, sum of doubles) are computed in parallel by DuckDB and may
# differ in the last bits from run to run (about 1e-14 relative): doubles are compared at 10
# significant digits. Every other type (integers, decimals, text, dates) is compared exactly.
FLOAT_DIGITS = 10


def canonical_value(column: str, data_type: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    text = f"printf('%.{FLOAT_DIGITS}g', {quoted})" if data_type in FLOAT_TYPES else f"cast({quoted} as varchar)"
    return f"coalesce({text}, '<null>')"


def content_hashes(warehouse, schemas=HASHED_SCHEMAS) -> dict[str, tuple[int, str, str]]:
    """Per table: row count and md5 of its rows rendered as canonical text, sorted.

    Column names and order are part of the hash; sorting the rendered rows makes it
    independent of the physical row order, which SQL does not define."""
    hashes = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ? and table_type = 'BASE TABLE' order by 1, 2",
            [list(schemas)],
        ).fetchall()
        for schema, name in tables:
            if f"{schema}.{name}" in UNHASHED_TABLES:
                continue
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, name],
            ).fetchall()
            row_text = " || chr(31) || ".join(canonical_value(column, kind) for column, kind in columns)
            header = chr(31).join(f"{column}:{kind}" for column, kind in columns)
            count, digest = con.execute(
                f"""
                select count(*), md5(coalesce(string_agg(row_text, chr(10) order by row_text), ''))
                from (select {row_text} as row_text from "{schema}"."{name}")
                """
            ).fetchone()
            hashes[f"{schema}.{name}"] = (count, header, digest)
    return hashes


# --- Checks of the ML tables, shared by the synthetic build (warehouse/) and the real one (real/)


def check_segmentation_tables(build: Build) -> dict[str, tuple[str, int]]:
    """Every customer segmented once, the profiles agree with the segments, outliers and the
    refresh policy are there; returns store -> (chosen method, k)."""
    per_store = build.query(
        """
        select features.store, count(*), count(segments.customer_key)
        from marts.customer_features as features
        left outer join ml.customer_segments as segments on features.customer_key = segments.customer_key
        group by features.store order by 1
        """
    )
    assert per_store and all(total == segmented for _, total, segmented in per_store), per_store
    assert build.scalar("select count(*) from ml.customer_segments") == build.scalar(
        "select count(*) from marts.customer_features"
    )
    stores = [store for store, _, _ in per_store]
    chosen = build.query("select store, method, k from ml.segmentation_model_selection where is_chosen order by 1")
    assert [row[0] for row in chosen] == stores
    # The names of customer_segments are those of the profiles, sizes add up (an unscored
    # customer, with a sale after the data end, has no segment and no profile).
    mismatched = build.scalar(
        """
        select count(*) from (
            select store, segment_id, segment_name, count(*) as customers
            from ml.customer_segments where unscored_reason is null group by all
        ) as counted
        full outer join ml.segment_profiles as profiles using (store, segment_id)
        where counted.segment_name is distinct from profiles.segment_name
            or counted.customers is distinct from profiles.customers
        """
    )
    assert mismatched == 0
    assert build.scalar("select count(*) from ml.segment_outliers") == build.scalar(
        "select count(*) from ml.customer_segments where is_outlier"
    )
    for store, method, _k in chosen:
        if method == "none":
            continue
        clauses = build.scalar("select count(*) from ml.segment_refresh_policy where store = ?", [store])
        assert clauses == 5
        assert (
            build.scalar(
                "select count(*) from ml.segment_stability where store = ? and comparison = 'bootstrap'", [store]
            )
            == 1
        )
    return {store: (method, k) for store, method, k in chosen}


def check_every_current_customer_scored_once(build: Build) -> None:
    for table in ("ml.churn_scores", "ml.customer_value_predictions", "ml.customer_360"):
        missing_or_extra = build.scalar(
            f"""
            select count(*)
            from marts.customer_features as features
            full outer join {table} as scored
                on features.store = scored.store and features.customer_key = scored.customer_key
            where features.customer_key is null or scored.customer_key is null
            """
        )
        assert missing_or_extra == 0, table
        assert build.scalar(f"select count(*) - count(distinct customer_key) from {table}") == 0, table
        assert build.scalar(f"select count(*) from {table}") == build.scalar(
            "select count(*) from marts.customer_features"
        ), table


def check_predictions_look_from_the_day_after_the_data_end_and_unscored_customers_say_why(build: Build) -> None:
    """churn_scores and customer_value_predictions score as of marts.store_data_ends + 1 day;
    a customer has a reason for being unscored exactly when a sale order follows the data end."""
    for table in ("ml.churn_scores", "ml.customer_value_predictions", "ml.store_value_forecast"):
        other_days = build.scalar(
            f"select count(*) from {table} as t inner join marts.store_data_ends as e using (store) "
            "where t.as_of_date != e.data_end_date + 1"
        )
        assert other_days == 0, table
    for table in ("ml.churn_scores", "ml.customer_value_predictions"):
        mismatched = build.scalar(
            f"""
            with later as (
                select distinct o.store, o.customer_key
                from marts.fct_orders as o
                inner join marts.store_data_ends as e using (store)
                where o.order_type = 'sale' and not o.is_cancelled and o.order_date > e.data_end_date
            )
            select count(*)
            from {table} as t
            left outer join later using (store, customer_key)
            where (later.customer_key is not null) != (t.unscored_reason like 'sale order after the data end%')
                or t.unscored_reason is null and later.customer_key is not null
            """
        )
        assert mismatched == 0, table
    assert (
        build.scalar(
            "select count(*) from ml.customer_value_predictions"
            " where unscored_reason is not null and (value_12m is not null or predicted_spend_next_h is not null)"
        )
        == 0
    )


def check_snapshot_features_are_the_snapshot_mart_and_recent_activity_reads_only_the_past(build: Build) -> None:
    mismatches = build.scalar(
        """
        with past as (
            select
                examples.store,
                examples.customer_key,
                examples.as_of_date,
                count(orders.order_key) filter (
                    where orders.order_date >= examples.as_of_date - interval 90 day
                ) as orders_last_90d,
                count(orders.order_key) filter (
                    where orders.order_date >= examples.as_of_date - interval 30 day
                ) as orders_last_30d
            from ml.customer_value_examples as examples
            left join marts.fct_orders as orders
                on orders.customer_key = examples.customer_key
                and orders.order_type = 'sale' and not orders.is_cancelled
                and orders.order_date < examples.as_of_date
            group by all
        )
        select count(*)
        from ml.customer_value_examples as examples
        inner join past using (store, customer_key, as_of_date)
        inner join marts.customer_feature_snapshots as snapshots using (store, customer_key, as_of_date)
        where examples.orders_last_90d != past.orders_last_90d
            or examples.orders_last_30d != past.orders_last_30d
            or examples.recency_days != snapshots.recency_days
            or examples.frequency != snapshots.frequency
            or abs(examples.monetary - snapshots.monetary) > 1e-6
        """
    )
    assert mismatches == 0
    assert build.scalar("select count(*) from ml.customer_value_examples") > 0


def check_outcomes_count_only_the_orders_in_the_horizon_after_the_cutoff(build: Build) -> None:
    mismatches = build.scalar(
        """
        with future as (
            select
                examples.store,
                examples.customer_key,
                examples.as_of_date,
                count(orders.order_key) as orders_next,
                coalesce(sum(orders.net_revenue_amount), 0) as spend_next
            from ml.customer_value_examples as examples
            left join marts.fct_orders as orders
                on orders.customer_key = examples.customer_key
                and orders.order_type = 'sale' and not orders.is_cancelled
                and orders.order_date >= examples.as_of_date
                and orders.order_date < examples.as_of_date + to_days(examples.horizon_days)
            group by all
        )
        select count(*)
        from ml.customer_value_examples as examples
        inner join future using (store, customer_key, as_of_date)
        where examples.orders_next != future.orders_next
            or abs(examples.spend_next - future.spend_next) > 1e-6
        """
    )
    assert mismatches == 0


def check_training_outcomes_close_before_the_validation_cutoff(build: Build) -> None:
    rows = build.query(
        """
        select
            store,
            cast(max(as_of_date) filter (where split = 'training') + to_days(any_value(horizon_days)) as date),
            max(as_of_date) filter (where split = 'validation'),
            max(as_of_date)
        from ml.customer_value_examples
        group by store
        """
    )
    assert rows
    for store, training_outcome_end, validation, latest in rows:
        assert training_outcome_end is not None and training_outcome_end <= validation, store
        assert validation == latest, store


def check_every_classifier_and_spend_model_is_scored_out_of_time(build: Build) -> None:
    stores = [row[0] for row in build.query("select distinct store from ml.customer_value_examples")]
    for store in stores:
        models = build.query(
            "select model_name, is_best from ml.churn_model_metrics where store = ? order by 1", [store]
        )
        assert [name for name, _ in models] == sorted(
            ["knn", "lightgbm", "logistic_regression", "random_forest", "recency_baseline"]
        ), store
        assert sum(best for _, best in models) == 1, store
        spend_models = build.query(
            "select model_name from ml.customer_value_metrics where store = ? and target_name = 'spend_next_h'",
            [store],
        )
        # Three baselines, five regressions, BG/NBD and MBG/NBD; and the PyTorch regressor exactly
        # when the build ran the neural models (var ml_neural), as the anomalies' autoencoder shows.
        neural = build.scalar("select count(*) from ml.anomalies where autoencoder_model = 'torch_autoencoder'") > 0
        names = [name for (name,) in spend_models]
        assert ("torch_mlp" in names) == neural, (store, names)
        assert len([name for name in names if name != "torch_mlp"]) == 10, store
        served = build.query(
            """
            select target_name, count(*) filter (where is_best),
                count(*) filter (where is_best and not beats_best_baseline and model_name <> best_baseline_name)
            from ml.customer_value_metrics where store = ? group by target_name
            """,
            [store],
        )
        assert all(best == 1 and unearned == 0 for _, best, unearned in served), (store, served)
    assert build.scalar("select count(*) from ml.churn_calibration") > 0


# The checks of the churn and customer-value tables, run on both builds.
CUSTOMER_VALUE_CHECKS = (
    check_every_current_customer_scored_once,
    check_predictions_look_from_the_day_after_the_data_end_and_unscored_customers_say_why,
    check_snapshot_features_are_the_snapshot_mart_and_recent_activity_reads_only_the_past,
    check_outcomes_count_only_the_orders_in_the_horizon_after_the_cutoff,
    check_training_outcomes_close_before_the_validation_cutoff,
    check_every_classifier_and_spend_model_is_scored_out_of_time,
)
