{#- Landed after every raw table (the depends_on lines): each landing records what it read from
    its files (landing_mode, landed_rows, ...), and the Online Retail landing the workbook
    sheets it skips (skipped_sheets) and each file's date order. -#}
-- depends_on: {{ ref('base_online_retail__invoice_lines') }}
-- depends_on: {{ ref('base_olist__orders') }}
-- depends_on: {{ ref('base_olist__customers') }}
-- depends_on: {{ ref('base_olist__order_items') }}
-- depends_on: {{ ref('base_olist__order_payments') }}
-- depends_on: {{ ref('base_olist__order_reviews') }}
-- depends_on: {{ ref('base_olist__products') }}
-- depends_on: {{ ref('base_olist__sellers') }}
-- depends_on: {{ ref('base_olist__geolocation') }}
-- depends_on: {{ ref('base_olist__product_category_name_translation') }}
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
        date_order,
        input_path,
        modified_at,
        landed_bytes,
        landed_sha256,
        landed_rows,
        rows_added,
        landing_mode,
        landing_reason,
        date_values,
        numeric_date_values,
        date_first_part_above_12,
        date_second_part_above_12
    from source
)

select * from final
