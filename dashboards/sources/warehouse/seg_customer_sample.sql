-- Up to 2,000 customers per store for the scatter plot, picked by a hash of the key (the same
-- customers every build), with their segment and RFM measures as of the scoring day (the
-- day after the data end; customers unscored after it have no segment).
select
    segments.store,
    segments.segment_id,
    segments.segment_name,
    segments.is_outlier,
    features.scoring_recency_days as recency_days,
    features.frequency,
    features.monetary
from ml.customer_segments as segments
inner join marts.customer_features as features
    on segments.customer_key = features.customer_key
where segments.segment_id is not null
qualify row_number() over (partition by segments.store order by hash(segments.customer_key)) <= 2000
