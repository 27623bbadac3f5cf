{#- One row per store + order_date + dimension + dimension_value + customer (null: the orders
    without one) of int_sales_order_lines_attributed: the day's measures of the customer's
    orders there. The period marts sales_daily / sales_weekly / sales_monthly add these up
    (macros/sales_marts.sql), so the lines are grouped once for the three: an order has one
    day and one customer, so its distinct counts add up over customers and days, and the
    distinct customers of a week or month are counted over these rows, not over the lines.
    Incremental: whole days replaced, like sales_daily (macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'order_date'],
    pre_hook="{{ reset_if_history_changed(sales_customer_day_history_sources()) }}",
)) }}

with order_lines as (
    select * from {{ ref('int_sales_order_lines_attributed') }}
),

-- Every row, or the days an incremental build recomputes.
{{ rows_in_incremental_window('order_lines', 'order_lines.order_date') }},

lines_by_dimension as (
    {{ rows_by_dimension('order_lines_in_window', sales_dimensions()) }}
),

-- One row per order of each group first: its distinct counts become plain counts, which
-- spill to disk (count(distinct) per group held 10M lines in memory, BENCHMARKS.md).
order_totals as (
    select
        store,
        order_date,
        week_start_date,
        month_start_date,
        dimension,
        dimension_value,
        customer_key,
        customer_status,
        order_key,
        min(currency_code) as currency_code,
        bool_or(is_sale_order) as is_sale_order,
        bool_or(is_cancelled) as is_cancelled,
        bool_or(is_valued_order) as is_valued_order,
        count(order_line_key) filter (where line_type = 'sale') as line_count,
        sum(quantity) filter (where line_type = 'sale') as units_sold,
        sum(gross_sales_amount) as gross_sales_amount,
        sum(cancellation_amount) as cancellation_amount,
        sum(net_revenue_amount) as net_revenue_amount,
        sum(net_revenue_amount) filter (where is_valued_order) as valued_order_net_revenue_amount
    from lines_by_dimension
    group by
        store,
        order_date,
        week_start_date,
        month_start_date,
        dimension,
        dimension_value,
        customer_key,
        customer_status,
        order_key
),

-- customer_status is one per customer and day (new on the first-order day): it splits nothing.
customer_day_totals as (
    select
        store,
        order_date,
        week_start_date,
        month_start_date,
        dimension,
        dimension_value,
        customer_key,
        customer_status,
        min(currency_code) as currency_code,
        count(order_key) filter (where is_sale_order) as order_count,
        count(order_key) filter (where is_cancelled) as cancelled_order_count,
        cast(sum(line_count) as bigint) as line_count,
        sum(units_sold) as units_sold,
        sum(gross_sales_amount) as gross_sales_amount,
        sum(cancellation_amount) as cancellation_amount,
        sum(net_revenue_amount) as net_revenue_amount,
        count(order_key) filter (where is_valued_order) as valued_order_count,
        sum(valued_order_net_revenue_amount) as valued_order_net_revenue_amount
    from order_totals
    group by
        store,
        order_date,
        week_start_date,
        month_start_date,
        dimension,
        dimension_value,
        customer_key,
        customer_status
),

final as (
    select
        store,
        order_date,
        week_start_date,
        month_start_date,
        dimension,
        dimension_value,
        customer_key,
        customer_status,
        order_count,
        cancelled_order_count,
        line_count,
        units_sold,
        gross_sales_amount,
        cancellation_amount,
        net_revenue_amount,
        valued_order_count,
        valued_order_net_revenue_amount,
        currency_code
    from customer_day_totals
)

select * from final
