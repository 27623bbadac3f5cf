"""retail_warehouse.headline: the headline metrics read from a tiny made-up warehouse file (the
five ml tables, only the columns the report reads), and the verdict against the tolerance."""

from __future__ import annotations

import duckdb
import pytest

from retail_warehouse import headline

TABLES = """
create schema ml;
create table ml.churn_model_metrics (
    store varchar, model_name varchar, is_best boolean, is_baseline boolean, roc_auc double, pr_auc double);
create table ml.customer_value_metrics (
    store varchar, target_name varchar, model_name varchar, is_best boolean, best_baseline_name varchar,
    rmse double);
create table ml.forecast_model_selection (
    store varchar, series_id varchar, model_name varchar, is_chosen boolean, mean_mase double);
create table ml.recommendation_metrics (
    store varchar, item_level varchar, method varchar, protocol varchar, k integer, hit_rate_at_k double,
    is_serving_method boolean, is_headline_protocol boolean, best_baseline varchar);
create table ml.segmentation_model_selection (
    store varchar, method varchar, k integer, silhouette double, is_chosen boolean);
"""


def warehouse(path, *, churn_auc: float, spend_rmse: float, ets_mase: float, svd_hit: float, silhouette: float):
    """One store 'shop': the served classifier, value model, forecasts, recommender and
    segmentation with these figures, each beside a baseline and a model that is not served."""
    with duckdb.connect(str(path)) as con:
        con.execute(TABLES)
        con.execute(
            "insert into ml.churn_model_metrics values "
            "('shop', 'lightgbm', true, false, ?, 0.40), "
            "('shop', 'recency_baseline', false, true, 0.70, 0.30), "
            "('shop', 'logistic', false, false, 0.99, 0.99)",
            [churn_auc],
        )
        con.execute(
            "insert into ml.customer_value_metrics values "
            "('shop', 'spend_next_h', 'ridge', true, 'training_mean', ?), "
            "('shop', 'spend_next_h', 'training_mean', false, 'training_mean', 120.0), "
            "('shop', 'spend_next_h', 'zero_baseline', false, 'training_mean', 150.0), "
            "('shop', 'value_next_365d', 'zero_baseline', true, 'zero_baseline', 300.0)",
            [spend_rmse],
        )
        con.execute(
            "insert into ml.forecast_model_selection values "
            "('shop', 'orders|overall|all', 'ets', true, ?), "
            "('shop', 'orders|overall|all', 'seasonal_naive', false, 1.0), "
            "('shop', 'net_revenue|overall|all', 'seasonal_naive', true, 0.8), "
            "('shop', 'net_revenue|overall|all', 'ets', false, 0.1)",
            [ets_mase],
        )
        con.execute(
            "insert into ml.recommendation_metrics values "
            "('shop', 'product', 'svd', 'new_items', 10, ?, true, true, 'popularity'), "
            "('shop', 'product', 'popularity', 'new_items', 10, 0.20, false, true, 'popularity'), "
            "('shop', 'product', 'buy_again', 'new_items', 10, 0.10, false, true, 'popularity'), "
            "('shop', 'product', 'svd', 'all_items', 10, 0.90, true, false, 'buy_again')",
            [svd_hit],
        )
        con.execute(
            "insert into ml.segmentation_model_selection values "
            "('shop', 'kmeans', 4, ?, true), ('shop', 'gmm', 4, 0.9, false)",
            [silhouette],
        )
    return path


@pytest.fixture
def before(tmp_path):
    return warehouse(
        tmp_path / "before.duckdb", churn_auc=0.80, spend_rmse=100.0, ets_mase=0.6, svd_hit=0.30, silhouette=0.40
    )


def test_reads_the_served_figure_of_each_table_beside_its_baseline(before):
    readings = headline.read(before)
    assert readings[("shop", "churn ROC-AUC")] == headline.Reading("lightgbm", 0.80, "recency_baseline", 0.70)
    assert readings[("shop", "churn PR-AUC")] == headline.Reading("lightgbm", 0.40, "recency_baseline", 0.30)
    assert readings[("shop", "value RMSE, spend_next_h")] == headline.Reading("ridge", 100.0, "training_mean", 120.0)
    assert readings[("shop", "value RMSE, value_next_365d")] == headline.Reading(
        "zero_baseline", 300.0, "zero_baseline", 300.0
    )
    # The chosen model of each series (ets on one, seasonal naive kept on the other), averaged,
    # beside the seasonal naive on the same series.
    forecasts = readings[("shop", "forecast MASE, chosen (mean over series)")]
    assert forecasts.model == "ets, seasonal_naive (2 series)"
    assert forecasts.value == pytest.approx(0.7)
    assert forecasts.baseline_value == pytest.approx(0.9)
    # The served method on the headline protocol, beside the best baseline of that protocol.
    assert readings[("shop", "hit rate@10, served (new items)")] == headline.Reading(
        "svd (product)", 0.30, "popularity", 0.20
    )
    assert readings[("shop", "silhouette, chosen segmentation")] == headline.Reading("kmeans k=4", 0.40, None, None)


def test_a_file_without_the_ml_tables_reads_nothing(tmp_path):
    duckdb.connect(str(tmp_path / "empty.duckdb")).close()
    assert headline.read(tmp_path / "empty.duckdb") == {}


@pytest.mark.parametrize(
    ("name", "before_value", "after_value", "expected"),
    [
        ("churn ROC-AUC", 0.80, 0.795, "kept (within 0.01)"),
        ("churn ROC-AUC", 0.80, 0.785, "worse by 0.015"),
        ("churn ROC-AUC", 0.80, 0.81, "better"),
        ("forecast MASE, chosen (mean over series)", 0.70, 0.705, "kept (within 0.01)"),
        ("forecast MASE, chosen (mean over series)", 0.70, 0.72, "worse by 0.020"),
        ("forecast MASE, chosen (mean over series)", 0.70, 0.65, "better"),
        # RMSE is in currency: the tolerance is 1% of the earlier value.
        ("value RMSE, spend_next_h", 100.0, 100.9, "kept (within 1% of before)"),
        ("value RMSE, spend_next_h", 100.0, 102.0, "worse by 2.0%"),
        ("value RMSE, spend_next_h", 100.0, 99.0, "better"),
        ("silhouette, chosen segmentation", None, 0.4, "n/a"),
    ],
)
def test_verdict_in_the_metrics_direction(name, before_value, after_value, expected):
    metric = next(metric for metric in headline.METRICS if metric.name == name)
    assert headline.verdict(metric, before_value, after_value) == expected


def test_two_files_side_by_side_with_change_and_verdict(before, tmp_path, capsys):
    after = warehouse(
        tmp_path / "after.duckdb", churn_auc=0.79, spend_rmse=103.0, ets_mase=0.5, svd_hit=0.25, silhouette=0.40
    )
    assert headline.main([str(before), str(after), "--labels", "a1", "b2"]) == 0
    rows = {line.split(" | ")[1]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["churn ROC-AUC"] == (
        "| shop | churn ROC-AUC | 0.800 lightgbm (vs recency_baseline 0.700) "
        "| 0.790 lightgbm (vs recency_baseline 0.700) | -0.010 | kept (within 0.01) |"
    )
    assert rows["value RMSE, spend_next_h"].endswith("| +3.00 | worse by 3.0% |")
    assert rows["forecast MASE, chosen (mean over series)"].endswith("| -0.050 | better |")
    assert rows["hit rate@10, served (new items)"].endswith("| -0.050 | worse by 0.050 |")
    assert rows["silhouette, chosen segmentation"].endswith("| +0.000 | kept (within 0.01) |")


def test_one_file_has_no_verdict(before):
    lines = headline.table([before], ["now"]).splitlines()
    assert lines[0] == "| store | metric | now |"
    assert len(lines) == 2 + len(headline.METRICS)
