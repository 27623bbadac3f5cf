-- Kaplan-Meier curves overall, by acquisition quarter and by RFM segment (country and state
-- curves stay in the warehouse: many small groups).
select *
from ml.retention_survival
where dimension in ('overall', 'acquisition_quarter', 'rfm_segment')
