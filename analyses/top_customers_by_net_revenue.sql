-- Question: who are the 20 most valuable customers of each store, and are they still active?
-- Net revenue (gross minus cancellations) in the store's currency, with RFM segment and
-- days since the last order as of the store's last day.
with customer_rfm as (
    select * from {{ ref('customer_rfm') }}
),

ranked as (
    select
        store,
        customer_id,
        rfm_segment,
        frequency,
        monetary,
        recency_days,
        currency_code,
        row_number() over (partition by store order by monetary desc, customer_id asc) as revenue_rank
    from customer_rfm
),

final as (
    select *
    from ranked
    where revenue_rank <= 20
)

select * from final
order by store, revenue_rank
