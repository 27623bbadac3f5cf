{#- Online Retail invoices in the common order shape (int_orders_unioned): one order per
    invoice, typed by what the invoice is (sale, cancellation, stock write-off, bad-debt
    adjustment). Online Retail has no order workflow, so status and delivery are null. -#}
with order_lines as (
    select * from {{ ref('int_online_retail_order_lines_prepared') }}
),

invoices as (
    select
        order_id,
        -- One customer, time and country per invoice in the data; min() picks it.
        min(customer_id) as customer_id,
        min(ordered_at) as ordered_at,
        min(currency_code) as currency_code,
        min(country_name) as country_name,
        min(country_code) as country_code,
        bool_or(line_type = 'bad_debt_adjustment') as has_bad_debt_adjustment,
        bool_or(line_type = 'cancellation') as has_cancellation,
        bool_and(line_type = 'stock_write_off') as is_only_stock_write_offs
    from order_lines
    group by order_id
),

final as (
    select
        'online_retail' as store,
        order_id,
        customer_id,
        cast(null as varchar) as order_customer_id,
        case
            when has_bad_debt_adjustment then 'bad_debt_adjustment'
            when has_cancellation then 'cancellation'
            when is_only_stock_write_offs then 'stock_write_off'
            else 'sale'
        end as order_type,
        cast(null as varchar) as order_status,
        has_cancellation as is_cancelled,
        ordered_at,
        cast(null as timestamp) as purchased_at,
        cast(null as timestamp) as approved_at,
        cast(null as timestamp) as delivered_to_carrier_at,
        cast(null as timestamp) as delivered_to_customer_at,
        cast(null as timestamp) as estimated_delivery_at,
        cast(null as boolean) as is_delivered,
        cast(null as integer) as delivery_days,
        cast(null as integer) as delay_days,
        cast(null as boolean) as is_delivered_late,
        cast(null as boolean) as is_on_time,
        currency_code,
        country_name,
        country_code,
        cast(null as varchar) as state,
        cast(null as varchar) as city,
        cast(null as varchar) as zip_code_prefix
    from invoices
)

select * from final
