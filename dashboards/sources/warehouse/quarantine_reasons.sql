-- Quarantined rows by table and reason (the rows themselves stay in the warehouse).
select
    source_table,
    quarantine_reason,
    count(*) as quarantined_rows
from marts.quarantine
group by source_table, quarantine_reason
