-- Question: when should customer service and picking be staffed? The five busiest
-- weekday-hour cells of each store by share of orders (local time).
with sales_hour_weekday as (
    select * from {{ ref('sales_hour_weekday') }}
),

ranked as (
    select
        store,
        day_name,
        hour_of_day,
        order_count,
        order_share,
        row_number() over (
            partition by store order by order_count desc, iso_day_of_week asc, hour_of_day asc
        ) as busy_rank
    from sales_hour_weekday
),

final as (
    select *
    from ranked
    where busy_rank <= 5
)

select * from final
order by store, busy_rank
