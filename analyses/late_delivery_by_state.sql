-- Question: where do Olist deliveries arrive late, and how late? Delivered orders by
-- customer state: share late against the estimate, mean days late of the late ones.
with fct_orders as (
    select * from {{ ref('fct_orders') }}
),

delivered as (
    select
        state,
        is_delivered_late,
        delay_days,
        delivery_days
    from fct_orders
    where store = 'olist' and is_delivered and delivery_days is not null
),

final as (
    select
        state,
        count(*) as delivered_orders,
        avg(cast(is_delivered_late as integer)) as late_share,
        avg(delivery_days) as mean_delivery_days,
        avg(delay_days) filter (where is_delivered_late) as mean_days_late
    from delivered
    group by state
)

select * from final
order by late_share desc
