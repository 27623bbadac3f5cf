{#- Olist orders in the common order shape (int_orders_unioned): the person
    (customer_unique_id) as customer, where they live, and the delivery measures. -#}
with orders as (
    select * from {{ ref('stg_olist__orders') }}
),

customers as (
    select * from {{ ref('stg_olist__customers') }}
),

country_names as (
    select * from {{ ref('country_names') }}
),

brazil as (
    select * from country_names
    where source_country_name = 'Brazil'
),

customers_located as (
    select
        orders.*,
        customers.customer_unique_id,
        customers.customer_state,
        customers.customer_city,
        customers.customer_zip_code_prefix
    from orders
    left outer join customers
        on orders.customer_id = customers.customer_id
),

-- Delivery measures describe completed deliveries: orders with status delivered and a
-- delivery date (8 delivered orders of the real data have none) not before the purchase day
-- (such an order is kept and flagged, marts.data_quality_issues: its dates contradict each
-- other, so neither its delivery time nor its delay is known). Days are calendar days, as
-- the estimate is a calendar day: delay_days > 0 is late, <= 0 on time.
delivery_checked as (
    select
        *,
        coalesce(
            is_delivered and cast(delivered_to_customer_at as date) >= cast(purchased_at as date), false
        ) as is_delivery_measured
    from customers_located
),

delivery_measured as (
    select
        *,
        case
            when is_delivery_measured
                then date_diff('day', cast(purchased_at as date), cast(delivered_to_customer_at as date))
        end as delivery_days,
        case
            when is_delivery_measured
                then date_diff('day', cast(estimated_delivery_at as date), cast(delivered_to_customer_at as date))
        end as delay_days
    from delivery_checked
),

final as (
    select
        'olist' as store,
        delivery_measured.order_id,
        delivery_measured.customer_unique_id as customer_id,
        delivery_measured.customer_id as order_customer_id,
        'sale' as order_type,
        delivery_measured.order_status,
        {{ is_olist_cancelled_status('delivery_measured.order_status') }} as is_cancelled,
        delivery_measured.purchased_at as ordered_at,
        delivery_measured.purchased_at,
        delivery_measured.approved_at,
        delivery_measured.delivered_to_carrier_at,
        delivery_measured.delivered_to_customer_at,
        delivery_measured.estimated_delivery_at,
        delivery_measured.is_delivered,
        cast(delivery_measured.delivery_days as integer) as delivery_days,
        cast(delivery_measured.delay_days as integer) as delay_days,
        case
            when delivery_measured.is_delivery_measured then delivery_measured.delay_days > 0
        end as is_delivered_late,
        case
            when delivery_measured.is_delivery_measured then delivery_measured.delay_days <= 0
        end as is_on_time,
        'BRL' as currency_code,
        brazil.country_name,
        brazil.country_code,
        delivery_measured.customer_state as state,
        delivery_measured.customer_city as city,
        delivery_measured.customer_zip_code_prefix as zip_code_prefix
    from delivery_measured
    left outer join brazil
        on true
)

select * from final
