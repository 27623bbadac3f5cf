"""The churn and customer-value tables (python_models/customer_value/) as `dbt build` writes
them: on the synthetic build (both stores) and on the real files."""

from __future__ import annotations

import pytest

SCORED_TABLES = ("ml.churn_scores", "ml.customer_value_predictions")


@pytest.fixture(scope="module", params=["synthetic", pytest.param("real", marks=pytest.mark.real_data)])
def build(request):
    return request.getfixturevalue(f"{request.param}_build")


@pytest.mark.parametrize("table", SCORED_TABLES)
def test_every_current_customer_is_scored_once(build, table):
    missing_or_extra = build.scalar(
        f"""
        select count(*)
        from marts.customer_features as features
        full outer join {table} as scored
            on features.store = scored.store and features.customer_key = scored.customer_key
        where features.customer_key is null or scored.customer_key is null
        """
    )
    assert missing_or_extra == 0
    assert build.scalar(f"select count(*) - count(distinct customer_key) from {table}") == 0
    assert build.scalar(f"select count(*) from {table}") == build.scalar("select count(*) from marts.customer_features")


def test_snapshot_features_are_the_snapshot_mart_and_recent_activity_reads_only_the_past(build):
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
                and orders.order_type = 'sale'
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


def test_outcomes_count_only_the_orders_in_the_horizon_after_the_cutoff(build):
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
                and orders.order_type = 'sale'
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


def test_training_outcomes_close_before_the_validation_cutoff(build):
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


def test_every_classifier_and_spend_model_is_scored_out_of_time(build):
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
        assert len(spend_models) == 7, store
    assert build.scalar("select count(*) from ml.churn_calibration") > 0


@pytest.mark.real_data
def test_on_the_real_files_the_best_models_beat_their_baselines(real_build):
    churn = {
        (store, model): (auc, ap)
        for store, model, auc, ap in real_build.query(
            "select store, model_name, roc_auc, pr_auc from ml.churn_model_metrics"
        )
    }
    best = dict(real_build.query("select store, model_name from ml.churn_model_metrics where is_best"))
    assert set(best) == {"online_retail", "olist"}
    for store, model in best.items():
        auc, ap = churn[(store, model)]
        baseline_auc, baseline_ap = churn[(store, "recency_baseline")]
        assert auc > baseline_auc and ap > baseline_ap, (store, model)
    spend = real_build.query(
        """
        select store, min(rmse) filter (where not is_baseline), min(rmse) filter (where is_baseline)
        from ml.customer_value_metrics
        where target_name = 'spend_next_h'
        group by store
        """
    )
    assert len(spend) == 2
    for store, best_rmse, baseline_rmse in spend:
        assert best_rmse < baseline_rmse, store


@pytest.mark.real_data
def test_on_the_real_files_the_cutoffs_are_the_documented_ones(real_build):
    validation = dict(real_build.query("select store, validation_cutoff from ml.churn_model_metrics where is_best"))
    assert str(validation["online_retail"]) == "2011-09-01"
    assert str(validation["olist"]) == "2018-03-01"
