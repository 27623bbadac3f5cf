-- Question: which customers should the win-back campaign call first? Those in the RFM
-- segments "Can't Lose Them" and "At Risk", most valuable first, with their contact country.
with customer_rfm as (
    select * from {{ ref('customer_rfm') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

final as (
    select
        customer_rfm.store,
        customer_rfm.customer_id,
        customer_rfm.rfm_segment,
        customer_rfm.recency_days,
        customer_rfm.frequency,
        customer_rfm.monetary,
        customer_rfm.currency_code,
        customer_rfm.last_order_date,
        dim_customers.country_name,
        dim_customers.state
    from customer_rfm
    inner join dim_customers
        on customer_rfm.customer_key = dim_customers.customer_key
    where customer_rfm.rfm_segment in ('Can''t Lose Them', 'At Risk')
)

select * from final
order by store asc, rfm_segment asc, monetary desc
