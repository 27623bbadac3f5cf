{#- One row per customer with an order (store + customer_key): the distinct products and
    categories of the sale lines of all their orders (macros/customer_observation.sql), the
    part of customer_features read from the order lines, and the day of their last order of
    any type. With the default as-of date every order is observed, so these do not depend on
    it. Incremental by customer, like int_customer_order_totals: a build recomputes, over all
    their orders, the customers with an order from the window start on (last_any_order_date
    in this table minus var incremental_lookback_days, per store) and those this table had
    there; the rest is kept when fct_orders and the lines with their product's category did
    not change before the window, else the table is built whole (macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'customer_key'],
    incremental_date_column='last_any_order_date',
    pre_hook="{{ reset_if_history_changed(customer_product_history_sources()) }}",
)) }}

with orders as (
    select * from {{ ref('fct_orders') }}
    -- The orders int_customer_orders_observed keeps with the default as-of date.
    where customer_key is not null and order_date is not null
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

{{ orders_of_recomputed_customers('orders') }},

{{ customer_products_bought('order_lines', 'orders_recomputed', 'products') }},

customers_recomputed as (
    select
        store,
        customer_key,
        max(order_date) as last_any_order_date
    from orders_recomputed
    group by store, customer_key
),

final as (
    select
        customers_recomputed.store,
        customers_recomputed.customer_key,
        cast(coalesce(products_bought.distinct_product_count, 0) as bigint) as distinct_product_count,
        cast(coalesce(products_bought.distinct_category_count, 0) as bigint) as distinct_category_count,
        customers_recomputed.last_any_order_date
    from customers_recomputed
    left outer join products_bought
        on customers_recomputed.customer_key = products_bought.customer_key
)

select * from final
