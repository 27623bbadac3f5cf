-- The 25 most valuable customers flagged at high risk, per store, with their drivers.
select
    scores.store,
    scores.customer_id,
    scores.churn_probability,
    scores.top_drivers,
    features.recency_days,
    features.frequency,
    features.monetary,
    features.currency_code
from ml.churn_scores as scores
inner join marts.customer_features as features
    on scores.customer_key = features.customer_key
where scores.risk_band = 'high'
qualify row_number() over (partition by scores.store order by features.monetary desc, scores.customer_key) <= 25
