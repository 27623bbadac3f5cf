{#- One row per store + order_date + customer (null: the observations without one) + measure +
    value: how many observations of the EDA distributions (eda_boxplot_stats,
    eda_histogram_bins) have that value that day: the quantity and unit price of every sale
    line, and the value (net revenue) of every sale order not cancelled that has lines. The
    distribution marts add these counts up per RFM segment every build (the segments move with
    customer_rfm's as-of day), so the lines are read once, here, by day. Incremental: whole
    days replaced, like sales_daily (macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'order_date'],
    pre_hook="{{ reset_if_history_changed(sales_value_history_sources()) }}",
)) }}

with order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

-- Every row, or the days an incremental build recomputes.
{{ rows_in_incremental_window('order_lines', 'order_lines.order_date') }},

{{ rows_in_incremental_window('orders', 'orders.order_date') }},

sale_lines as (
    select * from order_lines_in_window
    where line_type = 'sale'
),

valued_orders as (
    select * from orders_in_window
    where order_type = 'sale' and not is_cancelled and line_count > 0
),

observations as (
    select
        store,
        order_date,
        customer_key,
        'quantity' as measure,
        cast(quantity as decimal(18, 4)) as observed_value
    from sale_lines
    union all
    select
        store,
        order_date,
        customer_key,
        'unit_price' as measure,
        cast(unit_price as decimal(18, 4)) as observed_value
    from sale_lines
    union all
    select
        store,
        order_date,
        customer_key,
        'order_value' as measure,
        cast(net_revenue_amount as decimal(18, 4)) as observed_value
    from valued_orders
),

final as (
    select
        store,
        order_date,
        customer_key,
        measure,
        observed_value,
        cast(count(*) as bigint) as observation_count
    from observations
    group by store, order_date, customer_key, measure, observed_value
)

select * from final
