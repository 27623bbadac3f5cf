-- Quarantined rows by store, table and reason (the rows themselves stay in the warehouse).
select
    store,
    source_table,
    quarantine_reason,
    count(*) as quarantined_rows
from marts.quarantine
group by store, source_table, quarantine_reason
