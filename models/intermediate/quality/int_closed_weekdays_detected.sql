{#- The weekdays each store is normally closed: the one definition, read by the closed-weekday
    flag (int_closed_weekday_sales_counted) and by the demand calendar (ml.demand_series). In
    the weeks the store sold in up to its data end (marts.store_data_ends; a break without any
    sale, such as Christmas, is no evidence), a weekday is closed when it had no sale order in
    at least var('closed_weekday_min_share_of_days') of them (Online Retail: Saturday). Sale
    orders: type sale, cancelled Olist orders included, as the orders of sales_daily. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

data_ends as (
    select * from {{ ref('store_data_ends') }}
),

sale_orders_per_day as (
    select
        orders.store,
        orders.order_date,
        count(*) as order_count
    from orders
    inner join data_ends
        on
            orders.store = data_ends.store
            and orders.order_date <= data_ends.data_end_date
    where orders.order_type = 'sale'
    group by orders.store, orders.order_date
),

active_weeks as (
    select distinct
        store,
        cast(date_trunc('week', order_date) as date) as week_start
    from sale_orders_per_day
),

iso_days as (
    select unnest(range(1, 8)) as iso_day_of_week
),

active_week_days as (
    select
        active_weeks.store,
        active_weeks.week_start,
        iso_days.iso_day_of_week,
        cast(active_weeks.week_start + to_days(iso_days.iso_day_of_week - 1) as date) as order_date
    from active_weeks
    cross join iso_days
),

active_week_days_counted as (
    select
        active_week_days.store,
        active_week_days.iso_day_of_week,
        coalesce(sale_orders_per_day.order_count, 0) as order_count
    from active_week_days
    left outer join sale_orders_per_day
        on
            active_week_days.store = sale_orders_per_day.store
            and active_week_days.order_date = sale_orders_per_day.order_date
),

weekdays_measured as (
    select
        store,
        cast(iso_day_of_week as integer) as iso_day_of_week,
        count(*) as active_week_count,
        avg(case when order_count = 0 then 1.0 else 0.0 end) as share_of_weeks_without_sale
    from active_week_days_counted
    group by store, iso_day_of_week
),

final as (
    select *
    from weekdays_measured
    where share_of_weeks_without_sale >= {{ number_var_literal('closed_weekday_min_share_of_days', 0, 1) }}
)

select * from final
