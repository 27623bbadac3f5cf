{#- The quarantine, served: every raw row staging could not use, with its reason and where
    to find it in its input file (intermediate.int_source_rows_quarantined, whose name stays
    for the queries that read it there). -#}
with quarantined_rows as (
    select * from {{ ref('int_source_rows_quarantined') }}
),

final as (
    select
        store,
        source_table,
        source_file,
        source_sheet,
        source_row_number,
        record_key,
        quarantine_reason
    from quarantined_rows
)

select * from final
