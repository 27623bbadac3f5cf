{#- One row per customer and monthly snapshot date with at least one sale order before it:
    the same measures as int_customers_measured (macros/customer_observation.sql), as they
    stood on each snapshot date. -#}
with customer_orders as (
    select * from {{ ref('int_customer_orders_snapshotted') }}
),

{{ measure_customers('customer_orders') }}

select * from final
