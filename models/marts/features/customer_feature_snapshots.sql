{#- One row per customer and monthly snapshot date (grain: store + customer_id + as_of_date):
    the customer as they stood on the first day of each month, measured like
    customer_features (macros/customer_observation.sql) from the orders placed before that
    day only. The input of out-of-time model validation (features at a past date, outcomes
    after it) and of the segment stability study. -#}
with customer_snapshots as (
    select * from {{ ref('int_customer_snapshots_measured') }}
),

final as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        currency_code,
        recency_days,
        frequency,
        monetary,
        first_order_date,
        last_order_date,
        tenure_days,
        cancellation_order_count,
        gross_sales_amount,
        cancellation_amount,
        avg_basket_amount,
        avg_basket_quantity,
        cast(cancellation_amount / nullif(gross_sales_amount, 0) as double) as return_rate,
        mean_days_between_orders,
        country_name,
        state
    from customer_snapshots
)

select * from final
