-- Predicted 12-month value per decile of prediction, per store, with the share of the total.
with predictions as (
    select
        store,
        value_12m,
        probability_alive,
        expected_purchases_12m,
        ntile(10) over (partition by store order by value_12m desc, customer_key) as value_decile
    from ml.customer_value_predictions
)

select
    store,
    value_decile,
    count(*) as customers,
    sum(value_12m) as value_12m,
    sum(value_12m) / sum(sum(value_12m)) over (partition by store) as value_share,
    avg(probability_alive) as mean_probability_alive,
    avg(expected_purchases_12m) as mean_expected_purchases_12m
from predictions
group by store, value_decile
