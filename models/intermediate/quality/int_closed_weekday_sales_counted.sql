{#- Sale orders placed on a weekday the store is normally closed, kept and flagged for
    marts.data_quality_issues (a real event, never an error): one row per store, also when no
    order matches (row_count 0). A weekday is normally closed when, in the weeks the store
    sold in up to its data end (marts.store_data_ends), it had no sale order on at least
    var('closed_weekday_min_share_of_days') of them: the share of the demand calendar
    (Online Retail: Saturday). Sale orders: type sale, cancelled Olist orders included, as
    the orders of sales_daily and the demand series. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

data_ends as (
    select * from {{ ref('store_data_ends') }}
),

sale_orders as (
    select
        store,
        order_id,
        order_date
    from orders
    where order_type = 'sale'
),

sale_orders_per_day as (
    select
        sale_orders.store,
        sale_orders.order_date,
        count(*) as order_count
    from sale_orders
    inner join data_ends
        on
            sale_orders.store = data_ends.store
            and sale_orders.order_date <= data_ends.data_end_date
    group by sale_orders.store, sale_orders.order_date
),

-- The weeks the store sold in (a break without any sale, such as Christmas, is no evidence).
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

closed_weekdays as (
    select
        store,
        iso_day_of_week
    from active_week_days_counted
    group by store, iso_day_of_week
    having
        avg(case when order_count = 0 then 1.0 else 0.0 end)
        >= {{ number_var_literal('closed_weekday_min_share_of_days', 0, 1) }}
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
