-- The 25 customers furthest from their segment centre (relative to its threshold), per store.
select *
from ml.segment_outliers
qualify row_number() over (partition by store order by distance_ratio desc, customer_key) <= 25
