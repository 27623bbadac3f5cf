with source as (
    select * from {{ source('olist', 'product_category_name_translation') }}
),

typed as (
    select
        nullif(trim(product_category_name), '') as product_category_name,
        nullif(trim(product_category_name_english), '') as product_category_name_english,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem
    from source
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when product_category_name is null then 'missing product_category_name'
            when {{ is_repeat_of_key(['product_category_name']) }} then 'duplicate product_category_name'
            when product_category_name_english is null then 'missing product_category_name_english'
        end as quarantine_reason,
        product_category_name as record_key
    from typed
),

final as (
    select * exclude (source_line_problem)
    from checked
)

select * from final
