-- Customers, spend and mean probability per risk band of the deployed classifier.
select
    scores.store,
    scores.model_name,
    scores.target_name,
    scores.horizon_days,
    scores.risk_band,
    count(*) as customers,
    avg(scores.churn_probability) as mean_churn_probability,
    sum(features.monetary) as monetary,
    any_value(features.currency_code) as currency_code
from ml.churn_scores as scores
inner join marts.customer_features as features
    on scores.customer_key = features.customer_key
group by scores.store, scores.model_name, scores.target_name, scores.horizon_days, scores.risk_band
