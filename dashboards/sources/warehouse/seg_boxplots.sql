-- Distribution of recency, frequency and monetary per segment: quartiles and the 5th / 95th
-- percentiles (as whiskers), over every customer of the segment, recency as of the scoring day.
with members as (
    select
        segments.store,
        segments.segment_id,
        segments.segment_name,
        features.scoring_recency_days as recency_days,
        features.frequency,
        features.monetary
    from ml.customer_segments as segments
    inner join marts.customer_features as features
        on segments.customer_key = features.customer_key
    where segments.segment_id is not null
),

measures as (
    unpivot members
    on recency_days, frequency, monetary
    into name measure value measure_value
)

select
    store,
    segment_id,
    segment_name,
    measure,
    count(*) as customers,
    quantile_cont(measure_value, 0.05) as p05_value,
    quantile_cont(measure_value, 0.25) as p25_value,
    quantile_cont(measure_value, 0.5) as median_value,
    quantile_cont(measure_value, 0.75) as p75_value,
    quantile_cont(measure_value, 0.95) as p95_value
from measures
group by store, segment_id, segment_name, measure
