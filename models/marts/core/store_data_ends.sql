{#- One row per store: its first and last order day and its data end, the last complete day,
    which every model that needs "now" for a store uses (labels, scoring, survival censoring,
    forecasts, experiments). A day is complete when its valued orders reach
    var('data_end_min_share_of_typical_day') of the median day of the 28 calendar days before
    it; the days after the data end (a trickle of late or test orders) stay in the marts but
    are past the end of the observed history. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

valued_orders_per_day as (
    select
        store,
        order_date,
        count(*) as valued_order_count
    from orders
    where order_type = 'sale' and not is_cancelled
    group by store, order_date
),

typical_days as (
    select
        store,
        order_date,
        valued_order_count,
        median(valued_order_count) over (
            partition by store
            order by order_date
            range between interval 28 day preceding and interval 1 day preceding
        ) as typical_day_order_count
    from valued_orders_per_day
),

complete_days as (
    select
        store,
        max(order_date) as data_end_date
    from typical_days
    where
        typical_day_order_count is null
        or valued_order_count
        >= {{ number_var_literal('data_end_min_share_of_typical_day', 0, 1) }} * typical_day_order_count
    group by store
),

order_bounds as (
    select
        store,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders
    group by store
),

final as (
    select
        order_bounds.store,
        order_bounds.first_order_date,
        order_bounds.last_order_date,
        complete_days.data_end_date,
        cast(count(valued_orders_per_day.order_date) as integer) as days_after_data_end,
        cast(coalesce(sum(valued_orders_per_day.valued_order_count), 0) as integer)
            as valued_orders_after_data_end
    from order_bounds
    inner join complete_days on order_bounds.store = complete_days.store
    left outer join valued_orders_per_day
        on
            order_bounds.store = valued_orders_per_day.store
            and complete_days.data_end_date < valued_orders_per_day.order_date
    group by all
)

select * from final
