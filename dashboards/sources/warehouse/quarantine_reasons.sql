-- Quarantined rows by table and reason (the rows themselves stay in the warehouse).
select
    source_table,
    quarantine_reason,
    count(*) as quarantined_rows
from intermediate.int_source_rows_quarantined
group by source_table, quarantine_reason
