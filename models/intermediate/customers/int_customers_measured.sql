{#- One row per customer with at least one sale order before the as-of date: the raw RFM
    values and the order-level measures shared by marts.customer_rfm, customer_cohorts and
    customer_features (macros/customer_observation.sql). With the default as-of date (the day
    after the store's last order, every order observed) it reads the incremental per-customer
    totals (int_customer_order_totals) and counts recency and tenure to today's as-of date, for
    every customer (one row each: cheap); with var rfm_as_of_date it measures the orders before
    that date (int_customer_orders_observed). -#}
-- depends_on: {{ ref('int_customer_orders_observed') }}
-- depends_on: {{ ref('int_customer_order_totals') }}
-- depends_on: {{ ref('fct_orders') }}
{% if rfm_as_of_date_literals() -%}
    with customer_orders as (
        select * from {{ ref('int_customer_orders_observed') }}
    ),

    {{ measure_customers('customer_orders') }}
{%- else -%}
    with customer_order_totals as (
        select * from {{ ref('int_customer_order_totals') }}
    ),

    orders as (
        select * from {{ ref('fct_orders') }}
    ),

    {{ store_as_of_dates('orders') }},

    customers_with_sales as (
        select
            customer_order_totals.*,
            store_as_of_dates.as_of_date
        from customer_order_totals
        inner join store_as_of_dates
            on customer_order_totals.store = store_as_of_dates.store
        where customer_order_totals.frequency > 0
    ),

    {{ customer_measures_final('customers_with_sales') }}
{%- endif %}

select * from final
