"""Manual scale check of the segmentation (not a timed test): a generated store of N customers
(default 1,000,000) through feature choice, model selection, assignment of every customer,
outliers and profiles, reporting wall time and peak memory (RSS).

    .venv/bin/python -m retail_warehouse.ml.segmentation.scale_check --customers 1000000
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from retail_warehouse.ml.common import log_progress
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig
from retail_warehouse.ml.segmentation.tables import customer_segments, segment_profiles, segmentation_model_selection

MODEL = "segmentation_scale_check"


def generated_features(customers: int, seed: int) -> pd.DataFrame:
    """customer_features-like rows of one Olist-like store: mostly one-order customers with
    lognormal baskets, a repeat minority, some late deliveries."""
    rng = np.random.default_rng(seed)
    repeat = rng.random(customers) < 0.05
    frequency = np.where(repeat, rng.integers(2, 12, customers), 1)
    basket = rng.lognormal(4.5, 0.8, customers)
    recency = rng.integers(1, 700, customers)
    delivered = frequency
    return pd.DataFrame(
        {
            "store": "olist",
            "customer_key": np.char.add("olist:", np.arange(customers).astype("U7")),
            "customer_id": np.arange(customers).astype("U7"),
            "currency_code": "BRL",
            "recency_days": recency,
            "frequency": frequency,
            "monetary": basket * frequency,
            "avg_basket_amount": basket,
            "tenure_days": recency + np.where(repeat, rng.integers(0, 300, customers), 0),
            "distinct_product_count": frequency * rng.integers(1, 3, customers),
            "return_rate": np.where(rng.random(customers) < 0.01, 1.0, 0.0),
            "mean_days_between_orders": np.nan,
            "mean_review_score": np.nan,
            "delivered_order_count": delivered,
            "late_delivery_count": rng.binomial(delivered, 0.08),
            "mean_installments": rng.integers(1, 10, customers).astype(float),
        }
    ).assign(
        scoring_date=pd.Timestamp("2018-08-23"),
        scoring_recency_days=lambda frame: frame["recency_days"],
        scoring_tenure_days=lambda frame: frame["tenure_days"],
        is_scorable=True,
        unscored_reason=None,
    )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=42)
    arguments = parser.parse_args()
    config = SegmentationConfig(seed=arguments.seed)
    started = time.perf_counter()
    features = generated_features(arguments.customers, arguments.seed)
    log_progress(MODEL, f"generated {len(features)} customers, peak RSS {peak_rss_mib():.0f} MiB")
    selection = segmentation_model_selection(features, config)
    log_progress(
        MODEL, f"model selection done at {time.perf_counter() - started:.1f} s, peak RSS {peak_rss_mib():.0f} MiB"
    )
    rfm = pd.DataFrame({"customer_key": features["customer_key"], "rfm_segment": "Potential Loyalist"})
    segments = customer_segments(features, rfm, selection, config)
    profiles = segment_profiles(segments, features, rfm)
    chosen = selection[selection["is_chosen"]].iloc[0]
    print(
        f"{len(segments)} customers segmented by {chosen['method']} k={chosen['k']} "
        f"({len(profiles)} profiles, {int(segments['is_outlier'].sum())} outliers) in "
        f"{time.perf_counter() - started:.1f} s, peak RSS {peak_rss_mib():.0f} MiB"
    )


if __name__ == "__main__":
    main()
