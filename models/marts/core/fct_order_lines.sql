{#- One row per order line of every store: Online Retail invoice lines (with or without a
    customer) and Olist order items, with the revenue of macros/revenue.sql. Incremental:
    whole days replaced, see macros/incremental.sql. -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'order_date'],
    pre_hook="{{ reset_if_history_changed(order_line_history_sources()) }}",
)) }}

with order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

{{ rows_in_incremental_window('order_lines', 'cast(order_lines.ordered_at as date)') }},

final as (
    select
        {{ store_key('store', ['order_id', 'line_number']) }} as order_line_key,
        {{ store_key('store', ['order_id']) }} as order_key,
        store,
        order_id,
        line_number,
        {{ store_key('store', ['customer_id']) }} as customer_key,
        customer_id,
        {{ store_key('store', ['product_id']) }} as product_key,
        product_id,
        {{ store_key('store', ['seller_id']) }} as seller_key,
        seller_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        line_type,
        is_product,
        quantity,
        unit_price,
        gross_sales_amount,
        cancellation_amount,
        net_revenue_amount,
        freight_amount,
        currency_code,
        line_description,
        shipping_limit_at,
        country_name
    from order_lines_in_window
)

select * from final
