-- Every customer's profile from ml.customer_360 for the lookup page and the segment and
-- risk-band drill-downs. Value at risk: the predicted 12-month value times the churn
-- probability (for Olist, whose target is a repeat purchase, the probability of none).
select
    store,
    customer_id,
    currency_code,
    coalesce(country_name, '') as country_name,
    coalesce(state, '') as state,
    first_order_date,
    last_order_date,
    recency_days,
    order_count,
    net_revenue_amount,
    rfm_segment,
    rfm_score,
    coalesce(model_segment_name, 'not segmented') as model_segment_name,
    churn_target_name,
    churn_probability,
    churn_risk_band,
    probability_alive,
    expected_purchases_365d,
    predicted_value_12m,
    value_12m_lower_80,
    value_12m_upper_80,
    predicted_value_12m * churn_probability as value_at_risk,
    expected_next_order_date,
    next_order_method,
    top_recommended_items,
    late_delivery_share,
    mean_review_score
from ml.customer_360
