"""The churn and customer-value tables (python_models/customer_value/) of the synthetic build
(both stores)."""

from __future__ import annotations

import shutil
import subprocess

import duckdb
import pytest
from helpers import CUSTOMER_VALUE_CHECKS, REPO_ROOT, area_reruns_over_copies, content_hashes, dbt_build_command


@pytest.mark.parametrize("check", CUSTOMER_VALUE_CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_synthetic_customer_value_tables(synthetic_build, check):
    check(synthetic_build)


# The columns of ml.customer_value_examples that are outcomes (or made from them), not features.
OUTCOME_COLUMNS = {"orders_next", "spend_next", "purchased_again", "is_positive"}
# The models that make the features at a cutoff from marts.fct_orders, re-run on changed orders.
FEATURE_MODELS = (
    "int_customer_orders_snapshotted",
    "int_customer_snapshots_measured",
    "customer_feature_snapshots",
    "customer_value_examples",
)


def _rows_by_key(con, table: str, columns: list[str], keys: tuple[str, ...]) -> dict:
    """Each row of table (up to the store's leakage cutoff) by its key, its columns as text."""
    selected = ", ".join(f"cast({column} as varchar)" for column in columns)
    key_list = ", ".join(keys)
    rows = con.execute(
        f"select {key_list}, {selected} from {table} as t inner join leakage_cutoffs using (store) "
        "where t.as_of_date <= leakage_cutoffs.cutoff"
    ).fetchall()
    return {row[: len(keys)]: row[len(keys) :] for row in rows}


def test_every_feature_at_a_cutoff_ignores_the_orders_on_or_after_it(synthetic_build, tmp_path):
    """Every feature column of the snapshots (marts.customer_feature_snapshots) and of the
    labelled examples (ml.customer_value_examples), found from the tables' columns rather than
    listed by hand: with every order on or after a store's cutoff changed (amounts x 7,
    quantities x 3) and a copy of each added, the SQL and Python feature models re-run give
    the same value in every feature column at that cutoff and before it, while the outcomes
    change."""
    workdir = tmp_path / "future_changed"
    (workdir / ".build").mkdir(parents=True)
    build_copy = workdir / ".build" / "warehouse.duckdb"
    shutil.copy(synthetic_build.build_file, build_copy)
    keys = ("store", "customer_key", "as_of_date")
    with duckdb.connect(str(build_copy)) as con:
        # Per store, a labelled cutoff in the middle of its history.
        con.execute(
            "create table main.leakage_cutoffs as select store, quantile_disc(as_of_date, 0.5) as cutoff "
            "from ml.customer_value_examples group by store"
        )
        assert con.execute("select count(*) from main.leakage_cutoffs").fetchone()[0] == 2
        columns = {
            table: [
                row[0]
                for row in con.execute(
                    "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
                    "order by ordinal_position",
                    table.split("."),
                ).fetchall()
                if row[0] not in keys
            ]
            for table in ("marts.customer_feature_snapshots", "ml.customer_value_examples")
        }
        features = {table: [c for c in found if c not in OUTCOME_COLUMNS] for table, found in columns.items()}
        assert {"recency_days", "frequency", "monetary", "orders_last_30d"} <= set(
            features["ml.customer_value_examples"]
        )
        before = {table: _rows_by_key(con, table, features[table], keys) for table in features}
        outcomes_before = _rows_by_key(con, "ml.customer_value_examples", sorted(OUTCOME_COLUMNS), keys)
        future = "from marts.fct_orders as o inner join main.leakage_cutoffs using (store) where o.order_date >= cutoff"
        con.execute(
            "insert into marts.fct_orders by name select o.* replace (o.order_key || ':copy' as order_key, "
            f"o.order_id || ':copy' as order_id) {future}"
        )
        con.execute(
            "update marts.fct_orders as o set net_revenue_amount = o.net_revenue_amount * 7, "
            "gross_sales_amount = o.gross_sales_amount * 7, cancellation_amount = o.cancellation_amount * 7, "
            "total_quantity = o.total_quantity * 3 from main.leakage_cutoffs as c "
            "where o.store = c.store and o.order_date >= c.cutoff"
        )
    args, env, _ = dbt_build_command(workdir)
    args[1] = "run"
    completed = subprocess.run(
        [*args, "--select", *FEATURE_MODELS], cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    with duckdb.connect(str(build_copy), read_only=True) as con:
        for table, table_features in features.items():
            after = _rows_by_key(con, table, table_features, keys)
            assert after.keys() == before[table].keys(), table
            for position, column in enumerate(table_features):
                changed = [key for key, row in after.items() if row[position] != before[table][key][position]]
                assert not changed, f"{table}.{column} at {changed[0]} reads orders on or after its cutoff"
        outcomes_after = _rows_by_key(con, "ml.customer_value_examples", sorted(OUTCOME_COLUMNS), keys)
    assert outcomes_after != outcomes_before  # the change reached what happens after the cutoffs


def test_a_model_off_the_store_data_end_fails_the_build_check(synthetic_build, tmp_path):
    """check_one_data_end_per_store (tests/ml_checks/, severity error) passes on the build and
    fails, naming the model and store, once one ml table scores from another day."""
    workdir = tmp_path / "other_end"
    (workdir / ".build").mkdir(parents=True)
    build_copy = workdir / ".build" / "warehouse.duckdb"
    shutil.copy(synthetic_build.build_file, build_copy)
    args, env, _ = dbt_build_command(workdir)
    args[1] = "test"
    check = [*args, "--select", "check_one_data_end_per_store"]

    def run_check():
        return subprocess.run(check, cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False)

    passed = run_check()
    assert passed.returncode == 0, passed.stdout[-4000:] + passed.stderr[-2000:]
    with duckdb.connect(str(build_copy)) as con:
        con.execute("update ml.customer_value_predictions set as_of_date = as_of_date + 1 where store = 'olist'")
    failed = run_check()
    assert failed.returncode != 0
    # One model and store off the data end: one failing row.
    assert "Failure in test check_one_data_end_per_store" in failed.stdout
    assert "Got 1 result" in failed.stdout, failed.stdout[-4000:]


CUSTOMER_VALUE_ONLY = ("--select", "path:python_models/customer_value", "model_refresh_log")
SERVED = {
    "churn_scores": "select * from ml.churn_scores order by all",
    "customer_value_predictions": "select * from ml.customer_value_predictions order by all",
    "store_value_forecast": "select * from ml.store_value_forecast order by all",
}
CV_LOG = (
    "select store, model_name, action, reason, model_version from ml.model_refresh_log where area = 'customer_value' "
    "and build_id = (select any_value(build_id) from ml_registry.customer_value_refit_decisions) order by all"
)
# The evaluations (part of the fit: incremental by store) and the store's decision on them.
EVALUATION_MODELS = (
    "churn_validation_predictions",
    "churn_model_metrics",
    "churn_calibration",
    "churn_feature_importance",
    "customer_value_metrics",
    "next_order_metrics",
    "probability_alive_calibration",
    "customer_value_model_fits",
)
CV_EVALUATION_LOG = (
    "select distinct store, evaluation_action, evaluation_reason from ml.model_refresh_log "
    "where area = 'customer_value' "
    "and build_id = (select any_value(build_id) from ml_registry.customer_value_refit_decisions) order by all"
)


def _query(path, sql):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_customer_value_models_are_fitted_on_schedule_and_scored_otherwise(synthetic_build, tmp_path):
    """The fixture's build registered every served customer value model (refitted: no model
    registered) and evaluated every store (no previous evaluation); the area re-run over it
    (same inputs, not due, PSI under the threshold) loads and scores with them and keeps the
    evaluations' rows without running them, giving the same ml tables; var ml_refit: true then
    refits and evaluates again (over another copy of the fixture's build), to the same ml tables.
    A selection does not publish, so the build copy is read."""
    first = {name: _query(synthetic_build.warehouse, sql) for name, sql in SERVED.items()}
    first_ml = content_hashes(synthetic_build.warehouse, ("ml",))
    assert {f"ml.{name}" for name in EVALUATION_MODELS} <= set(first_ml)
    assert [row[:2] for row in _query(synthetic_build.warehouse, CV_EVALUATION_LOG)] == [
        ("olist", "evaluated"),
        ("online_retail", "evaluated"),
    ]
    registered = _query(
        synthetic_build.warehouse, "select store, model_name, version, has_model from ml_registry.customer_value_models"
    )
    assert {store for store, *_ in registered} == {"online_retail", "olist"}
    assert {version for _, _, version, _ in registered} == {1}
    assert {name for _, name, *_ in registered} >= {"churn_classifier"}
    log = _query(synthetic_build.warehouse, CV_LOG)
    assert len(log) == len(registered) and {action for _, _, action, *_ in log} == {"refitted"}
    scored, refitted = area_reruns_over_copies(synthetic_build, tmp_path, CUSTOMER_VALUE_ONLY)
    log = _query(scored.build_file, CV_LOG)
    assert [(store, name, action, version) for store, name, action, _, version in log] == [
        (store, name, "scored", 1) for store, name, *_ in sorted(registered)
    ], log
    for name, sql in SERVED.items():
        assert _query(scored.build_file, sql) == first[name], name
    # The evaluations did not run: kept for each store, each model logging that it kept every row.
    evaluations = _query(scored.build_file, CV_EVALUATION_LOG)
    assert [row[:2] for row in evaluations] == [("olist", "kept"), ("online_retail", "kept")], evaluations
    for name in EVALUATION_MODELS:
        assert f"{name}: no store evaluated" in scored.output, name
    assert content_hashes(scored.build_file, ("ml",)) == first_ml

    log = _query(refitted.build_file, CV_LOG)
    assert {(action, version) for _, _, action, _, version in log} == {("refitted", 2)}
    assert all("var ml_refit is true" in reason for *_, reason, _ in log)
    # Same inputs, same seed: the refit is the same model.
    for name, sql in SERVED.items():
        assert _query(refitted.build_file, sql) == first[name], name
    evaluations = _query(refitted.build_file, CV_EVALUATION_LOG)
    assert [row[:2] for row in evaluations] == [("olist", "evaluated"), ("online_retail", "evaluated")]
    assert all("var ml_refit is true" in reason for *_, reason in evaluations)
    assert not any(f"{name}: no store evaluated" in refitted.output for name in EVALUATION_MODELS)
    assert content_hashes(refitted.build_file, ("ml",)) == first_ml
