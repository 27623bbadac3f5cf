{#- One row per customer with at least one sale order before the as-of date: the raw RFM
    values and the order-level measures shared by marts.customer_rfm, customer_cohorts and
    customer_features. Revenue is fct_orders' (macros/revenue.sql), summed, never re-derived. -#}
with customer_orders as (
    select * from {{ ref('int_customer_orders_observed') }}
),

customer_totals as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        any_value(currency_code) as currency_code,
        count(distinct order_id) filter (where order_type = 'sale') as frequency,
        count(distinct order_id) filter (where order_type = 'cancellation') as cancellation_order_count,
        min(order_date) filter (where order_type = 'sale') as first_order_date,
        max(order_date) filter (where order_type = 'sale') as last_order_date,
        sum(gross_sales_amount) as gross_sales_amount,
        sum(cancellation_amount) as cancellation_amount,
        sum(net_revenue_amount) as net_revenue_amount,
        avg(gross_sales_amount) filter (where order_type = 'sale') as avg_basket_amount,
        avg(total_quantity) filter (where order_type = 'sale') as avg_basket_quantity,
        arg_max(country_name, ordered_at) filter (where order_type = 'sale') as country_name,
        arg_max(state, ordered_at) filter (where order_type = 'sale') as state
    from customer_orders
    group by store, customer_key, customer_id, as_of_date
),

customers_with_sales as (
    select * from customer_totals
    where frequency > 0
),

final as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        currency_code,
        first_order_date,
        last_order_date,
        cast(date_trunc('month', first_order_date) as date) as cohort_month,
        cast(date_diff('day', last_order_date, as_of_date) as integer) as recency_days,
        cast(frequency as integer) as frequency,
        cast(net_revenue_amount as decimal(18, 4)) as monetary,
        cast(gross_sales_amount as decimal(18, 4)) as gross_sales_amount,
        cast(cancellation_amount as decimal(18, 4)) as cancellation_amount,
        cast(cancellation_order_count as integer) as cancellation_order_count,
        cast(date_diff('day', first_order_date, as_of_date) as integer) as tenure_days,
        cast(avg_basket_amount as decimal(18, 4)) as avg_basket_amount,
        cast(avg_basket_quantity as double) as avg_basket_quantity,
        case
            when frequency > 1
                then cast(date_diff('day', first_order_date, last_order_date) as double) / (frequency - 1)
        end as mean_days_between_orders,
        country_name,
        state
    from customers_with_sales
)

select * from final
