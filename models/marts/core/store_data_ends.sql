{#- One row per store: its first and last order day and its data end, the last complete day,
    which every model that needs "now" for a store uses (labels, scoring, survival censoring,
    forecast origins and calendars, experiments). A day is complete when its valued orders
    reach var('data_end_min_share_of_typical_day') of the usual day, the median of the same
    weekday over the four weeks before it (days without orders counted as 0), and that usual
    day is itself an active one: at least var('data_end_min_usual_share_of_median_day') of the
    store's median day. So a day that stops mid-way or whose orders have not all landed
    (Olist's last week of August 2018 falls to a fifth) is not complete, and neither is a
    trickle of late or test orders weeks after the end, whose own usual day is near 0. The
    days after the data end stay in the marts but are past the end of the observed history. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

order_bounds as (
    select
        store,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders
    group by store
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

median_days as (
    select
        store,
        median(valued_order_count) as median_day_order_count
    from valued_orders_per_day
    group by store
),

store_days as (
    select
        store,
        cast(unnest(generate_series(first_order_date, last_order_date, interval 1 day)) as date) as order_date
    from order_bounds
),

daily_orders as (
    select
        store_days.store,
        store_days.order_date,
        coalesce(valued_orders_per_day.valued_order_count, 0) as valued_order_count
    from store_days
    left outer join valued_orders_per_day
        on
            store_days.store = valued_orders_per_day.store
            and store_days.order_date = valued_orders_per_day.order_date
),

usual_days as (
    select
        store,
        order_date,
        valued_order_count,
        median(valued_order_count) over (
            partition by store, isodow(order_date)
            order by order_date
            rows between 4 preceding and 1 preceding
        ) as usual_order_count
    from daily_orders
),

complete_days as (
    select
        usual_days.store,
        max(usual_days.order_date) as data_end_date
    from usual_days
    inner join median_days on usual_days.store = median_days.store
    where
        usual_days.valued_order_count > 0
        and (
            -- The first week of a store has no usual day to compare with.
            usual_days.usual_order_count is null
            or (
                usual_days.valued_order_count
                >= {{ number_var_literal('data_end_min_share_of_typical_day', 0, 1) }}
                * usual_days.usual_order_count
                and usual_days.usual_order_count
                >= {{ number_var_literal('data_end_min_usual_share_of_median_day', 0, 1) }}
                * median_days.median_day_order_count
            )
        )
    group by usual_days.store
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
