{#- One row per payment of an order (Olist; Online Retail has no payment data). -#}
with order_payments as (
    select * from {{ ref('stg_olist__order_payments') }}
),

orders as (
    select * from {{ ref('int_orders_unioned') }}
),

olist_orders as (
    select * from orders
    where store = 'olist'
),

payments_of_orders as (
    select
        'olist' as store,
        order_payments.*,
        olist_orders.customer_id,
        olist_orders.ordered_at,
        olist_orders.currency_code
    from order_payments
    left outer join olist_orders
        on order_payments.order_id = olist_orders.order_id
),

final as (
    select
        {{ store_key('store', ['order_id', 'payment_sequence']) }} as order_payment_key,
        {{ store_key('store', ['order_id']) }} as order_key,
        store,
        order_id,
        payment_sequence,
        {{ store_key('store', ['customer_id']) }} as customer_key,
        cast(ordered_at as date) as order_date,
        payment_type,
        installments,
        cast(payment_value as decimal(18, 4)) as payment_amount,
        currency_code
    from payments_of_orders
)

select * from final
