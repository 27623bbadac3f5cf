{#- One row per customer with an order (store + customer_key): the measures of all their
    orders that do not depend on an as-of date (macros/customer_observation.sql), and the day
    of their last order of any type. Incremental by customer: a build recomputes, over all
    their orders, the customers with an order from the window start on (last_any_order_date in
    this table minus var incremental_lookback_days, per store) and those this table had there
    (a customer whose orders there vanished); the rest is kept when fct_orders did not change
    before the window, else the table is built whole (macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'customer_key'],
    incremental_date_column='last_any_order_date',
    pre_hook="{{ reset_if_history_changed(customer_order_history_sources()) }}",
)) }}

with orders as (
    select * from {{ ref('fct_orders') }}
    -- The orders int_customer_orders_observed keeps with the default as-of date.
    where customer_key is not null and order_date is not null
),

{{ orders_of_recomputed_customers('orders') }},

sale_orders_marked as (
    select
        *,
        order_type = 'sale' and not is_cancelled as is_sale_order
    from orders_recomputed
),

customer_totals as (
    select
        store,
        customer_key,
        customer_id,
        {{ customer_order_aggregates() }},
        max(order_date) as last_any_order_date
    from sale_orders_marked
    group by store, customer_key, customer_id
),

final as (
    select
        store,
        customer_key,
        customer_id,
        currency_code,
        cast(frequency as bigint) as frequency,
        cast(cancellation_order_count as bigint) as cancellation_order_count,
        first_order_date,
        last_order_date,
        gross_sales_amount,
        cancellation_amount,
        net_revenue_amount,
        avg_basket_amount,
        avg_basket_quantity,
        country_name,
        state,
        last_any_order_date
    from customer_totals
)

select * from final
