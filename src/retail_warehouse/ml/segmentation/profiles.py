"""Segment profiles, names and recommended actions, all derived by rule from the profile.

Name rule, relative to the other segments of the same store:
- value: rank of the segment's median monetary among the store's segments, split in thirds of
  the rank range (top third "High-value", bottom third "Low-value", else "Mid-value");
- activity: rank of the median recency_days likewise ("active" = most recent third,
  "lapsed" = least recent, else "cooling");
- frequency: "repeat" when the median customer has at least two orders, else "one-time".
Name = "<value> <frequency>, <activity>", e.g. "High-value repeat, active". Segments whose
names collide get the profile feature that sets them furthest apart from the store
(": high late delivery share"), then " (2)" in segment_id order if they still collide. The
action comes from (value, activity).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Features summarised by median and quartiles in ml.segment_profiles (used by the model or not).
PROFILE_FEATURES: tuple[str, ...] = (
    "recency_days",
    "frequency",
    "monetary",
    "tenure_days",
    "avg_basket_amount",
    "distinct_product_count",
    "return_rate",
    "late_delivery_share",
    "mean_review_score",
    "mean_installments",
)
VALUE_TIERS = ("High-value", "Mid-value", "Low-value")
ACTIVITY_TIERS = ("active", "cooling", "lapsed")

ACTIONS: dict[tuple[str, str], str] = {
    ("High-value", "active"): "Retain and reward: loyalty perks, early access, service first; no discounts needed.",
    ("High-value", "cooling"): "Keep warm: personal recommendations and a reason to come back before they lapse.",
    ("High-value", "lapsed"): "Win back first: personal outreach with a tailored offer; they were worth the most.",
    ("Mid-value", "active"): "Grow the basket: cross-sell and bundles, invite to the loyalty programme.",
    ("Mid-value", "cooling"): "Re-engage: reminders and offers on categories they bought.",
    ("Mid-value", "lapsed"): "Reactivate at low cost: one win-back campaign, then newsletter only.",
    ("Low-value", "active"): "Nurture: welcome series and a second-purchase incentive.",
    ("Low-value", "cooling"): "Automated nudges only: low-cost email, no paid media.",
    ("Low-value", "lapsed"): "Do not spend: newsletter only, exclude from paid campaigns.",
}
ONE_SEGMENT_ACTION = "Too few customers to segment: treat them as one group."


def _tier(rank: int, count: int, tiers: tuple[str, str, str]) -> str:
    """tiers[0] for the top third of ranks 0..count-1, tiers[2] for the bottom third."""
    if count <= 1:
        return tiers[0]
    position = rank / (count - 1)
    if position < 1 / 3:
        return tiers[0]
    if position > 2 / 3:
        return tiers[2]
    return tiers[1]


def distinguishing_trait(profile: pd.DataFrame, customers: pd.DataFrame) -> list[str]:
    """Per profile row, the profile feature whose segment median is furthest from the store's
    median in units of the store's IQR (standard deviation when the IQR is 0): 'high
    avg basket amount'."""
    traits = []
    spreads = {}
    for feature in PROFILE_FEATURES:
        values = customers[feature].to_numpy(dtype="float64") if feature in customers else np.array([])
        values = values[~np.isnan(values)]
        if len(values) == 0:
            continue
        q25, median, q75 = np.quantile(values, [0.25, 0.5, 0.75])
        spread = q75 - q25 if q75 > q25 else values.std()
        if spread > 0:
            spreads[feature] = (median, spread)
    for row in profile.itertuples():
        scores = {
            feature: (getattr(row, f"median_{feature}") - median) / spread
            for feature, (median, spread) in spreads.items()
            if not np.isnan(getattr(row, f"median_{feature}"))
        }
        if not scores:
            traits.append("")
            continue
        feature = max(scores, key=lambda f: (abs(scores[f]), f))
        traits.append(f"{'high' if scores[feature] > 0 else 'low'} {feature.replace('_', ' ')}")
    return traits


def name_segments(profile: pd.DataFrame, traits: list[str] | None = None) -> pd.DataFrame:
    """segment_name and recommended_action for the profile rows of one store (columns
    segment_id, median_monetary, median_recency_days, median_frequency). Segments whose names
    collide get their distinguishing trait ('Mid-value one-time, cooling: high late delivery
    share'), then a number if they still collide."""
    profile = profile.sort_values("segment_id").reset_index(drop=True)
    count = len(profile)
    if count <= 1:
        return profile.assign(segment_name="All customers", recommended_action=ONE_SEGMENT_ACTION)
    value_rank = profile["median_monetary"].rank(method="first", ascending=False).astype(int) - 1
    recency_rank = profile["median_recency_days"].rank(method="first", ascending=True).astype(int) - 1
    names, actions = [], []
    for position in range(count):
        value = _tier(int(value_rank[position]), count, VALUE_TIERS)
        activity = _tier(int(recency_rank[position]), count, ACTIVITY_TIERS)
        frequency = "repeat" if profile["median_frequency"][position] >= 2 else "one-time"
        names.append(f"{value} {frequency}, {activity}")
        actions.append(ACTIONS[(value, activity)])
    if traits is not None:
        collide = pd.Series(names).duplicated(keep=False)
        names = [f"{name}: {traits[i]}" if collide[i] and traits[i] else name for i, name in enumerate(names)]
    seen: dict[str, int] = {}
    unique_names = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        unique_names.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return profile.assign(segment_name=unique_names, recommended_action=actions)


def rfm_mix(rfm_segments: pd.Series, top: int = 3) -> str:
    """The most common RFM segments of a group with their shares: 'Champions 41%, ...'."""
    shares = rfm_segments.value_counts(normalize=True, sort=False)
    shares = shares.sort_index().sort_values(ascending=False, kind="stable").head(top)
    return ", ".join(f"{segment} {share:.0%}" for segment, share in shares.items())


PROFILE_COLUMNS: list[str] = [
    "segment_id",
    "segment_name",
    "recommended_action",
    "customers",
    "customer_share",
    "net_revenue_amount",
    "revenue_share",
    "outlier_count",
    "rfm_segment_mix",
] + [f"{stat}_{feature}" for feature in PROFILE_FEATURES for stat in ("p25", "median", "p75")]


def profile_segments(customers: pd.DataFrame) -> pd.DataFrame:
    """One row per segment of one store from its customers (columns segment_id, is_outlier,
    rfm_segment and the profile features present): size, shares, quartiles, RFM mix, name
    and action."""
    total_customers = len(customers)
    total_revenue = float(customers["monetary"].sum())
    rows = []
    for segment_id, members in customers.groupby("segment_id", sort=True):
        row = {
            "segment_id": int(segment_id),
            "customers": len(members),
            "customer_share": len(members) / total_customers,
            "net_revenue_amount": float(members["monetary"].sum()),
            "revenue_share": float(members["monetary"].sum()) / total_revenue if total_revenue else None,
            "outlier_count": int(members["is_outlier"].sum()),
            "rfm_segment_mix": rfm_mix(members["rfm_segment"].fillna("unknown")),
        }
        for feature in PROFILE_FEATURES:
            values = members[feature].to_numpy(dtype="float64") if feature in members else np.array([])
            values = values[~np.isnan(values)]
            quartiles = np.quantile(values, [0.25, 0.5, 0.75]) if len(values) else [np.nan] * 3
            row[f"p25_{feature}"], row[f"median_{feature}"], row[f"p75_{feature}"] = map(float, quartiles)
        rows.append(row)
    profile = pd.DataFrame(rows)
    if profile.empty:
        return pd.DataFrame(columns=PROFILE_COLUMNS)
    return name_segments(profile, distinguishing_trait(profile, customers))[PROFILE_COLUMNS]
