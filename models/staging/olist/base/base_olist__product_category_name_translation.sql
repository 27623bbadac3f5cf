with source as (
    select * from {{ source('olist', 'product_category_name_translation') }}
),

typed as (
    select
        nullif(trim(product_category_name), '') as product_category_name,
        nullif(trim(product_category_name_english), '') as product_category_name_english,
        _source_file as source_file,
        _source_row_number as source_row_number
    from source
),

checked as (
    select
        *,
        case
            when product_category_name is null then 'missing product_category_name'
            when {{ is_repeat_of_key(['product_category_name']) }} then 'duplicate product_category_name'
            when product_category_name_english is null then 'missing product_category_name_english'
        end as quarantine_reason,
        product_category_name as record_key
    from typed
),

final as (
    select * from checked
)

select * from final
