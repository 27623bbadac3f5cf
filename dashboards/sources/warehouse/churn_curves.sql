-- ROC and cumulative-gain (lift) points of every classifier on the validation cutoff: the
-- customers ranked by predicted probability, cut at every 2% of them.
with ranked as (
    select
        store,
        model_name,
        is_positive,
        row_number() over (partition by store, model_name order by probability desc, customer_key) as score_rank,
        count(*) over (partition by store, model_name) as customers,
        sum(cast(is_positive as integer)) over (partition by store, model_name) as positives
    from ml.churn_validation_predictions
),

cumulative as (
    select
        store,
        model_name,
        score_rank,
        customers,
        positives,
        sum(cast(is_positive as integer)) over (
            partition by store, model_name order by score_rank rows between unbounded preceding and current row
        ) as true_positives
    from ranked
)

select
    store,
    model_name,
    score_rank / customers as targeted_share,
    true_positives / nullif(positives, 0) as true_positive_rate,
    (score_rank - true_positives) / nullif(customers - positives, 0) as false_positive_rate,
    (true_positives / nullif(positives, 0)) / (score_rank / customers) as lift
from cumulative
where score_rank % greatest(customers // 50, 1) = 0 or score_rank = customers
