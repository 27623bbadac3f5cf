{#- This build's measures, which the publish step appends to meta.build_history and the next
    build compares with (int_build_changes_checked): per input file its rows, size, hash,
    format, encoding and date order; per monitored mart its rows by store and a hash of its
    columns and types; quarantined rows per rule; each store's data end. -#}
{%- set monitored_marts = [
    'fct_orders', 'fct_order_lines', 'fct_order_payments', 'dim_customers', 'dim_products', 'store_data_ends'
] -%}
with file_loads as (
    select * from {{ ref('stg_landing__file_loads') }}
),

row_conservation as (
    select * from {{ ref('row_conservation') }}
),

quarantined_rows as (
    select * from {{ ref('int_source_rows_quarantined') }}
),

{% for mart in monitored_marts %}
    {{ mart }} as (
        select * from {{ ref(mart) }}
    ),
{% endfor %}

-- Per raw table (an Online Retail folder holds several files): its rows, the files' sizes
-- summed, and their hash (a single file's own SHA-256; several files': the SHA-256 of their
-- hashes in path order).
found_files as (
    select
        store,
        source_table,
        count(*) as file_count,
        sum(size_bytes) as size_bytes,
        string_agg(sha256, ',' order by file_path) as file_hashes,
        string_agg(distinct file_format, ', ' order by file_format) as file_format,
        string_agg(distinct encoding, ', ' order by encoding) as text_encoding,
        string_agg(distinct date_order, ', ' order by date_order) as date_format
    from file_loads
    where status = 'found'
    group by store, source_table
),

input_files as (
    select
        found_files.store,
        'input_file' as measure_kind,
        found_files.source_table as item,
        row_conservation.raw_rows as row_count,
        found_files.size_bytes,
        case
            when found_files.file_count = 1 then found_files.file_hashes
            else sha256(found_files.file_hashes)
        end as sha256,
        found_files.file_format,
        found_files.text_encoding,
        found_files.date_format,
        cast(null as varchar) as schema_hash,
        cast(null as date) as data_end_date
    from found_files
    left outer join row_conservation
        on found_files.source_table = row_conservation.source_table
),

mart_columns as (
    select
        table_name,
        md5(string_agg(column_name || ' ' || data_type, ', ' order by ordinal_position)) as schema_hash
    from information_schema.columns
    where
        table_catalog = current_database()
        and table_schema = '{{ ref("fct_orders").schema }}'
        and list_contains({{ monitored_marts | tojson | replace('"', "'") }}, table_name)
    group by table_name
),

mart_rows as (
    {% for mart in monitored_marts %}
        select
            store,
            '{{ mart }}' as table_name,
            count(*) as row_count
        from {{ mart }}
        group by store
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

marts as (
    select
        mart_rows.store,
        'table' as measure_kind,
        mart_rows.table_name as item,
        mart_rows.row_count,
        cast(null as bigint) as size_bytes,
        cast(null as varchar) as sha256,
        cast(null as varchar) as file_format,
        cast(null as varchar) as text_encoding,
        cast(null as varchar) as date_format,
        mart_columns.schema_hash,
        cast(null as date) as data_end_date
    from mart_rows
    left outer join mart_columns
        on mart_rows.table_name = mart_columns.table_name
),

quarantine_rules as (
    select
        store,
        'quarantine_rule' as measure_kind,
        source_table || ': ' || quarantine_reason as item,
        count(*) as row_count,
        cast(null as bigint) as size_bytes,
        cast(null as varchar) as sha256,
        cast(null as varchar) as file_format,
        cast(null as varchar) as text_encoding,
        cast(null as varchar) as date_format,
        cast(null as varchar) as schema_hash,
        cast(null as date) as data_end_date
    from quarantined_rows
    group by store, source_table, quarantine_reason
),

data_ends as (
    select
        store,
        'data_end' as measure_kind,
        'store_data_ends' as item,
        cast(null as bigint) as row_count,
        cast(null as bigint) as size_bytes,
        cast(null as varchar) as sha256,
        cast(null as varchar) as file_format,
        cast(null as varchar) as text_encoding,
        cast(null as varchar) as date_format,
        cast(null as varchar) as schema_hash,
        data_end_date
    from store_data_ends
),

final as (
    select * from input_files
    union all
    select * from marts
    union all
    select * from quarantine_rules
    union all
    select * from data_ends
)

select * from final
