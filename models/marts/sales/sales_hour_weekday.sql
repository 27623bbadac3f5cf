{#- One row per store + ISO weekday + hour of the order time: the full 7 x 24 matrix of each
    store (cells without orders hold 0), for the seasonality heat map. -#}
with order_lines as (
    select * from {{ ref('int_sales_order_lines_attributed') }}
),

stores as (
    select distinct
        store,
        currency_code
    from order_lines
),

weekdays as (
    select cast(unnest(generate_series(1, 7)) as integer) as iso_day_of_week
),

hours as (
    select cast(unnest(generate_series(0, 23)) as integer) as hour_of_day
),

matrix as (
    select
        stores.store,
        stores.currency_code,
        weekdays.iso_day_of_week,
        hours.hour_of_day
    from stores
    cross join weekdays
    cross join hours
),

cell_totals as (
    select
        store,
        iso_day_of_week,
        hour_of_day,
        count(distinct order_key) filter (where is_sale_order) as order_count,
        count(order_line_key) filter (where line_type = 'sale') as line_count,
        coalesce(sum(quantity) filter (where line_type = 'sale'), 0) as units_sold,
        coalesce(sum(net_revenue_amount), 0) as net_revenue_amount,
        count(distinct customer_key) filter (where is_sale_order) as customer_count
    from order_lines
    group by store, iso_day_of_week, hour_of_day
),

cells_filled as (
    select
        matrix.store,
        matrix.iso_day_of_week,
        matrix.hour_of_day,
        matrix.currency_code,
        coalesce(cell_totals.order_count, 0) as order_count,
        coalesce(cell_totals.line_count, 0) as line_count,
        coalesce(cell_totals.units_sold, 0) as units_sold,
        coalesce(cell_totals.net_revenue_amount, 0) as net_revenue_amount,
        coalesce(cell_totals.customer_count, 0) as customer_count
    from matrix
    left outer join cell_totals
        on
            matrix.store = cell_totals.store
            and matrix.iso_day_of_week = cell_totals.iso_day_of_week
            and matrix.hour_of_day = cell_totals.hour_of_day
),

final as (
    select
        store,
        iso_day_of_week,
        -- 2024-01-01 was a Monday: day 1 of the ISO week.
        dayname(date '2023-12-31' + iso_day_of_week) as day_name,
        hour_of_day,
        cast(order_count as bigint) as order_count,
        cast(
            order_count / nullif(sum(order_count) over (partition by store), 0) as double
        ) as order_share,
        cast(line_count as bigint) as line_count,
        cast(units_sold as bigint) as units_sold,
        cast(net_revenue_amount as decimal(18, 4)) as net_revenue_amount,
        cast(customer_count as bigint) as customer_count,
        currency_code
    from cells_filled
)

select * from final
