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
        encoding
    from source
)

select * from final
