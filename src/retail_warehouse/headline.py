"""`make headline`: the ML headline metrics of one built warehouse file, or of two side by side.

    python -m retail_warehouse.headline AFTER.duckdb
    python -m retail_warehouse.headline BEFORE.duckdb AFTER.duckdb [--labels a1a5621 28426cc]

One row per store and metric, read from the evaluation tables of schema ``ml``: the served
churn classifier's ROC-AUC and PR-AUC (``churn_model_metrics``), the served value model's RMSE
per target (``customer_value_metrics``), the mean MASE of the chosen forecasts
(``forecast_model_selection``), the served recommender's hit rate@10 on the headline protocol
(``recommendation_metrics``) and the chosen segmentation's silhouette
(``segmentation_model_selection``), each with the baseline it is compared with in its table.
With two files, the change and a verdict against the tolerance (issue 19: "within 0.01 or
better"): an absolute difference for the unitless metrics, a relative one for RMSE, which is
in the store's currency. Files are opened read-only; a missing table gives an empty row.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

TOLERANCE = 0.01
MISSING = "n/a"


@dataclass(frozen=True)
class Metric:
    name: str
    table: str
    # (store, model, value, baseline, baseline_value) per store, from ml.<table>.
    sql: str
    higher_is_better: bool
    # The tolerance is a share of the earlier value (a figure in currency), not a difference.
    relative: bool = False


def _churn(column: str) -> str:
    return f"""
        select
            served.store,
            served.model_name,
            served.{column},
            baseline.model_name,
            baseline.{column}
        from ml.churn_model_metrics as served
        left join ml.churn_model_metrics as baseline
            on served.store = baseline.store and baseline.is_baseline
        where served.is_best
    """


def _value(target: str) -> str:
    return f"""
        select
            served.store,
            served.model_name,
            served.rmse,
            baseline.model_name,
            baseline.rmse
        from ml.customer_value_metrics as served
        left join ml.customer_value_metrics as baseline
            on served.store = baseline.store
            and served.target_name = baseline.target_name
            and baseline.model_name = served.best_baseline_name
        where served.is_best and served.target_name = '{target}'
    """


METRICS = (
    Metric("churn ROC-AUC", "churn_model_metrics", _churn("roc_auc"), higher_is_better=True),
    Metric("churn PR-AUC", "churn_model_metrics", _churn("pr_auc"), higher_is_better=True),
    Metric(
        "value RMSE, spend_next_h",
        "customer_value_metrics",
        _value("spend_next_h"),
        higher_is_better=False,
        relative=True,
    ),
    Metric(
        "value RMSE, value_next_365d",
        "customer_value_metrics",
        _value("value_next_365d"),
        higher_is_better=False,
        relative=True,
    ),
    Metric(
        "forecast MASE, chosen (mean over series)",
        "forecast_model_selection",
        """
        select
            chosen.store,
            string_agg(distinct chosen.model_name, ', ' order by chosen.model_name)
                || ' (' || count(*) || ' series)',
            avg(chosen.mean_mase),
            'seasonal_naive',
            avg(naive.mean_mase)
        from ml.forecast_model_selection as chosen
        left join ml.forecast_model_selection as naive
            on chosen.store = naive.store
            and chosen.series_id = naive.series_id
            and naive.model_name = 'seasonal_naive'
        where chosen.is_chosen
        group by chosen.store
        """,
        higher_is_better=False,
    ),
    Metric(
        "hit rate@10, served (new items)",
        "recommendation_metrics",
        """
        select
            served.store,
            served.method || ' (' || served.item_level || ')',
            served.hit_rate_at_k,
            baseline.method,
            baseline.hit_rate_at_k
        from ml.recommendation_metrics as served
        left join ml.recommendation_metrics as baseline
            on served.store = baseline.store
            and served.item_level = baseline.item_level
            and served.protocol = baseline.protocol
            and served.k = baseline.k
            and baseline.method = served.best_baseline
        where served.is_serving_method and served.is_headline_protocol and served.k = 10
        """,
        higher_is_better=True,
    ),
    Metric(
        "silhouette, chosen segmentation",
        "segmentation_model_selection",
        """
        select store, method || ' k=' || k, silhouette, null, null
        from ml.segmentation_model_selection
        where is_chosen
        """,
        higher_is_better=True,
    ),
)


@dataclass(frozen=True)
class Reading:
    """One store's value of one metric in one file."""

    model: str | None
    value: float | None
    baseline: str | None
    baseline_value: float | None


def read(path: Path | str) -> dict[tuple[str, str], Reading]:
    """{(store, metric name): Reading} of one built warehouse file."""
    readings: dict[tuple[str, str], Reading] = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for metric in METRICS:
            try:
                rows = con.execute(metric.sql).fetchall()
            except duckdb.CatalogException:
                continue  # the table (or a column the metric reads) is not in this file
            for store, model, value, baseline, baseline_value in rows:
                readings[(store, metric.name)] = Reading(
                    model,
                    None if value is None else float(value),
                    baseline,
                    None if baseline_value is None else float(baseline_value),
                )
    return readings


def verdict(metric: Metric, before: float | None, after: float | None, tolerance: float = TOLERANCE) -> str:
    """better, kept (within the tolerance) or worse, in the metric's direction."""
    if before is None or after is None:
        return MISSING
    gain = after - before if metric.higher_is_better else before - after
    # The figures are read as stored; a difference of exactly the tolerance is within it.
    allowed = (tolerance * abs(before) if metric.relative else tolerance) + 1e-9
    if gain > 0:
        return "better"
    if -gain <= allowed:
        return f"kept (within {tolerance:.0%} of before)" if metric.relative else f"kept (within {tolerance:g})"
    return f"worse by {-gain / abs(before):.1%}" if metric.relative else f"worse by {-gain:.3f}"


def _figure(metric: Metric, value: float | None) -> str:
    if value is None:
        return MISSING
    return f"{value:,.2f}" if metric.relative else f"{value:.3f}"


def _served(metric: Metric, reading: Reading | None) -> str:
    if reading is None:
        return MISSING
    text = f"{_figure(metric, reading.value)} {reading.model or ''}".strip()
    if reading.baseline is not None or reading.baseline_value is not None:
        text += f" (vs {reading.baseline or 'baseline'} {_figure(metric, reading.baseline_value)})"
    return text


def table(files: list[Path | str], labels: list[str] | None = None, tolerance: float = TOLERANCE) -> str:
    """The markdown table of one file, or of two with the change and the verdict."""
    if not 1 <= len(files) <= 2:
        raise ValueError("one or two warehouse files")
    labels = labels or [Path(path).name for path in files]
    readings = [read(path) for path in files]
    stores = sorted({store for reading in readings for store, _ in reading})
    header = ["store", "metric", *labels]
    if len(files) == 2:
        header += ["change", "verdict"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for store in stores:
        for metric in METRICS:
            found = [reading.get((store, metric.name)) for reading in readings]
            if not any(found):
                continue
            row = [store, metric.name, *(_served(metric, reading) for reading in found)]
            if len(files) == 2:
                before, after = (None if reading is None else reading.value for reading in found)
                change = None if before is None or after is None else after - before
                row += [
                    MISSING if change is None else f"{change:+,.2f}" if metric.relative else f"{change:+.3f}",
                    verdict(metric, before, after, tolerance),
                ]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path, help="one built warehouse file, or before and after")
    parser.add_argument("--labels", nargs="+", help="column titles, one per file (default: the file names)")
    parser.add_argument("--tolerance", type=float, default=TOLERANCE, help="allowed loss (default 0.01)")
    args = parser.parse_args(argv)
    if len(args.files) > 2:
        parser.error("one or two warehouse files")
    if args.labels and len(args.labels) != len(args.files):
        parser.error("one label per file")
    print(table(args.files, args.labels, args.tolerance))
    return 0


if __name__ == "__main__":
    sys.exit(main())
