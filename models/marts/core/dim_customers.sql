{#- One row per customer of every store: Online Retail CustomerID, Olist customer_unique_id
    (the person; Olist's customer_id is one per order). Lines and orders without a customer
    stay in the facts and out of this dimension. -#}
with orders as (
    select * from {{ ref('int_orders_unioned') }}
),

customer_orders as (
    select * from orders
    where customer_id is not null
),

-- Where the customer lives: the location of their latest order.
orders_by_recency as (
    select
        *,
        row_number() over (
            partition by store, customer_id
            order by ordered_at desc, order_id desc
        ) as recency_rank
    from customer_orders
),

latest_orders as (
    select * from orders_by_recency
    where recency_rank = 1
),

customer_totals as (
    select
        store,
        customer_id,
        min(ordered_at) filter (where order_type = 'sale') as first_order_at,
        max(ordered_at) filter (where order_type = 'sale') as last_order_at,
        count(*) filter (where order_type = 'sale') as order_count,
        count(*) filter (where order_type = 'cancellation') as cancellation_order_count,
        min(ordered_at) as first_seen_at
    from customer_orders
    group by store, customer_id
),

final as (
    select
        {{ store_key('customer_totals.store', ['customer_totals.customer_id']) }} as customer_key,
        customer_totals.store,
        customer_totals.customer_id,
        customer_totals.first_order_at,
        customer_totals.last_order_at,
        cast(customer_totals.first_order_at as date) as first_order_date,
        cast(customer_totals.order_count as integer) as order_count,
        cast(customer_totals.cancellation_order_count as integer) as cancellation_order_count,
        customer_totals.first_seen_at,
        latest_orders.country_name,
        latest_orders.country_code,
        latest_orders.state,
        latest_orders.city,
        latest_orders.zip_code_prefix
    from customer_totals
    left outer join latest_orders
        on
            customer_totals.store = latest_orders.store
            and customer_totals.customer_id = latest_orders.customer_id
)

select * from final
