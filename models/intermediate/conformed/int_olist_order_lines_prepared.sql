{#- Olist order items in the common order-line shape (int_order_lines_unioned): one item is
    a line of quantity 1, the order's status decides whether it is a sale or a cancelled
    sale, revenue by the one definition of macros/revenue.sql, freight apart. -#}
with order_items as (
    select * from {{ ref('stg_olist__order_items') }}
),

orders as (
    select * from {{ ref('int_olist_orders_prepared') }}
),

items_of_orders as (
    select
        order_items.*,
        orders.customer_id,
        orders.order_status,
        orders.ordered_at,
        orders.currency_code,
        orders.country_name,
        orders.country_code
    from order_items
    left outer join orders
        on order_items.order_id = orders.order_id
),

typed as (
    select
        *,
        {{ olist_line_type('order_status') }} as line_type,
        item_price as line_amount
    from items_of_orders
),

final as (
    select
        'olist' as store,
        order_id,
        order_item_number as line_number,
        customer_id,
        product_id,
        seller_id,
        ordered_at,
        line_type,
        true as is_product,
        1 as quantity,
        cast(item_price as decimal(18, 4)) as unit_price,
        {{ revenue_amounts('line_type', 'line_amount') }},
        cast(freight_value as decimal(18, 4)) as freight_amount,
        currency_code,
        cast(null as varchar) as line_description,
        shipping_limit_at,
        country_name,
        country_code
    from typed
)

select * from final
