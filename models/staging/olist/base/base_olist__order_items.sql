{#- Incremental by order (macros/incremental_groups.sql): a build rechecks the orders whose
    rows here or in base_olist__orders changed. -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups(olist_order_child_sources('olist__order_items'), 'order_id') }}",
)) }}

with source as (
    select * from {{ source('olist', 'order_items') }}
    where {{ in_changed_groups("nullif(trim(order_id), '')") }}
),

typed as (
    select
        nullif(trim(order_id), '') as order_id,
        try_cast(nullif(trim(order_item_id), '') as integer) as order_item_number,
        nullif(trim(product_id), '') as product_id,
        nullif(trim(seller_id), '') as seller_id,
        try_cast(nullif(trim(shipping_limit_date), '') as timestamp) as shipping_limit_at,
        try_cast(nullif(trim(price), '') as decimal(18, 2)) as item_price,
        try_cast(nullif(trim(freight_value), '') as decimal(18, 2)) as freight_value,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(order_item_id), '') as order_item_id_text,
        nullif(trim(shipping_limit_date), '') as shipping_limit_date_text,
        nullif(trim(price), '') as price_text,
        nullif(trim(freight_value), '') as freight_value_text
    from source
),

flagged as (
    select
        *,
        coalesce(freight_value = 0, false) as has_zero_freight,
        coalesce(shipping_limit_at >= timestamp '2019-01-01', false) as is_shipping_limit_after_2018
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when order_id is null then 'missing order_id'
            when order_item_id_text is null then 'missing order_item_id'
            when {{ failed_cast('order_item_id_text', 'order_item_number') }} then 'order_item_id is not an integer'
            -- Items are numbered 1..n within their order: 0 or below names no item.
            when order_item_number < 1 then 'order_item_id below 1'
            when {{ is_repeat_of_key(['order_id', 'order_item_number']) }}
                then 'duplicate order_id + order_item_id'
            when {{ failed_cast('shipping_limit_date_text', 'shipping_limit_at') }}
                then 'shipping_limit_date is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when {{ failed_cast('price_text', 'item_price') }} then 'price is not a number'
            when item_price is null then 'missing price'
            when {{ failed_cast('freight_value_text', 'freight_value') }} then 'freight_value is not a number'
            -- Every order line needs its seller (fct_order_lines.seller_key) and its product
            -- (fct_order_lines.product_key): without one the item cannot be attributed.
            when seller_id is null then 'missing seller_id'
            when product_id is null then 'missing product_id'
            when item_price < 0 then 'negative price'
            when freight_value < 0 then 'negative freight_value'
        end as quarantine_reason,
        concat_ws(' / ', coalesce(order_id, ''), coalesce(order_item_id_text, '')) as record_key
    from flagged
),

{{ follow_parent_quarantine('checked', 'base_olist__orders', 'order_id', 'order') }},

final as (
    select * exclude (source_line_problem, order_item_id_text, shipping_limit_date_text, price_text, freight_value_text)
    from followed
)

select * from final
