{#- One row per order of every store (Online Retail invoice, Olist order; also Olist orders
    without items), with the totals of its lines (revenue of macros/revenue.sql), its
    payments and, for Olist, its delivery. Incremental: whole days replaced, see
    macros/incremental.sql. -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'order_date'],
    pre_hook="{{ reset_if_history_changed(order_history_sources()) }}",
)) }}

with orders as (
    select * from {{ ref('int_orders_unioned') }}
),

order_lines as (
    select * from {{ ref('int_order_lines_unioned') }}
),

{{ rows_in_incremental_window('orders', 'cast(orders.ordered_at as date)') }},

-- An order's lines carry its time (int_*_order_lines_prepared), so the same window holds them.
{{ rows_in_incremental_window('order_lines', 'cast(order_lines.ordered_at as date)') }},

order_payments as (
    select * from {{ ref('fct_order_payments') }}
),

line_totals as (
    select
        store,
        order_id,
        count(*) as line_count,
        count(*) filter (where is_product) as product_line_count,
        count(distinct product_id) as distinct_product_count,
        sum(quantity) as total_quantity,
        sum(gross_sales_amount) as gross_sales_amount,
        sum(cancellation_amount) as cancellation_amount,
        sum(net_revenue_amount) as net_revenue_amount,
        sum(net_revenue_amount) filter (where is_product) as product_net_revenue_amount,
        sum(freight_amount) as freight_amount
    from order_lines_in_window
    group by store, order_id
),

payment_totals as (
    select
        store,
        order_id,
        count(*) as payment_count,
        sum(payment_amount) as payment_total_amount
    from order_payments
    group by store, order_id
),

orders_totalled as (
    select
        orders.*,
        coalesce(line_totals.line_count, 0) as line_count,
        coalesce(line_totals.product_line_count, 0) as product_line_count,
        coalesce(line_totals.distinct_product_count, 0) as distinct_product_count,
        coalesce(line_totals.total_quantity, 0) as total_quantity,
        coalesce(line_totals.gross_sales_amount, 0) as gross_sales_amount,
        coalesce(line_totals.cancellation_amount, 0) as cancellation_amount,
        coalesce(line_totals.net_revenue_amount, 0) as net_revenue_amount,
        coalesce(line_totals.product_net_revenue_amount, 0) as product_net_revenue_amount,
        case
            when orders.store = 'olist' then coalesce(line_totals.freight_amount, 0)
        end as freight_amount,
        payment_totals.payment_count,
        payment_totals.payment_total_amount
    from orders_in_window as orders
    left outer join line_totals
        on
            orders.store = line_totals.store
            and orders.order_id = line_totals.order_id
    left outer join payment_totals
        on
            orders.store = payment_totals.store
            and orders.order_id = payment_totals.order_id
),

-- Payments against items + freight, for orders with both (as data_quality_issues counts them).
payments_reconciled as (
    select
        *,
        case
            when payment_total_amount is not null and line_count > 0
                then payment_total_amount - (gross_sales_amount + freight_amount)
        end as payment_difference_amount
    from orders_totalled
),

final as (
    select
        {{ store_key('store', ['order_id']) }} as order_key,
        store,
        order_id,
        {{ store_key('store', ['customer_id']) }} as customer_key,
        customer_id,
        order_customer_id,
        order_type,
        order_status,
        is_cancelled,
        ordered_at,
        cast(ordered_at as date) as order_date,
        cast(line_count as integer) as line_count,
        cast(product_line_count as integer) as product_line_count,
        cast(distinct_product_count as integer) as distinct_product_count,
        cast(total_quantity as bigint) as total_quantity,
        cast(gross_sales_amount as decimal(18, 4)) as gross_sales_amount,
        cast(cancellation_amount as decimal(18, 4)) as cancellation_amount,
        cast(net_revenue_amount as decimal(18, 4)) as net_revenue_amount,
        cast(product_net_revenue_amount as decimal(18, 4)) as product_net_revenue_amount,
        cast(freight_amount as decimal(18, 4)) as freight_amount,
        cast(payment_count as integer) as payment_count,
        cast(payment_total_amount as decimal(18, 4)) as payment_total_amount,
        cast(payment_difference_amount as decimal(18, 4)) as payment_difference_amount,
        case
            when payment_difference_amount is not null then abs(payment_difference_amount) <= 0.01
        end as is_payment_reconciled,
        currency_code,
        purchased_at,
        approved_at,
        delivered_to_carrier_at,
        delivered_to_customer_at,
        estimated_delivery_at,
        cast(estimated_delivery_at as date) as estimated_delivery_date,
        cast(delivered_to_customer_at as date) as delivered_to_customer_date,
        is_delivered,
        delivery_days,
        delay_days,
        is_delivered_late,
        is_on_time,
        country_name,
        country_code,
        state,
        city,
        zip_code_prefix
    from payments_reconciled
)

select * from final
