-- The 30 strongest anomalies per store and entity type.
select *
from ml.anomalies
qualify row_number() over (partition by store, entity_type order by anomaly_rank) <= 30
