{#- Landed after the Online Retail lines, whose landing finds the workbook sheets it skips
    (skipped_sheets). -#}
-- depends_on: {{ ref('base_online_retail__invoice_lines') }}
with source as (
    select * from {{ source('landing', 'file_loads') }}
),

final as (
    select
        store,
        source_table,
        file_path,
        status,
        is_required,
        is_synthetic,
        detail,
        size_bytes,
        sha256,
        file_format,
        encoding,
        skipped_sheets,
        date_order
    from source
)

select * from final
