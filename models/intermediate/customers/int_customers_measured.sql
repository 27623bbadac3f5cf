{#- One row per customer with at least one sale order before the as-of date: the raw RFM
    values and the order-level measures shared by marts.customer_rfm, customer_cohorts and
    customer_features (macros/customer_observation.sql). -#}
with customer_orders as (
    select * from {{ ref('int_customer_orders_observed') }}
),

{{ measure_customers('customer_orders') }}

select * from final
