{#- Sale orders placed on a weekday the store is normally closed
    (int_closed_weekdays_detected), kept and flagged for marts.data_quality_issues (a real
    event, never an error): one row per store, also when no order matches (row_count 0).
    Sale orders: type sale, cancelled Olist orders included, as the orders of sales_daily and
    the demand series. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

closed_weekdays as (
    select * from {{ ref('int_closed_weekdays_detected') }}
),

sale_orders as (
    select
        store,
        order_id,
        order_date
    from orders
    where order_type = 'sale'
),

sale_orders_on_closed_weekdays as (
    select sale_orders.*
    from sale_orders
    inner join closed_weekdays
        on
            sale_orders.store = closed_weekdays.store
            and isodow(sale_orders.order_date) = closed_weekdays.iso_day_of_week
),

{%- set rule = 'sale order on a weekday the store is normally closed (kept)' %}

counted as (
    {{ quality_issue_count(
        'online_retail', 'online_retail__invoice_lines', rule, 'sale_orders_on_closed_weekdays',
        "store = 'online_retail'", 'order_id'
    ) }}
    union all
    {{ quality_issue_count(
        'olist', 'olist__orders', rule, 'sale_orders_on_closed_weekdays', "store = 'olist'", 'order_id'
    ) }}
),

final as (
    select * from counted
)

select * from final
