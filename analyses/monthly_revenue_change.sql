-- Question: how did net revenue, orders and new customers move month on month, per store?
-- sales_monthly overall rows; the change is against the previous month of the same store.
with sales_monthly as (
    select * from {{ ref('sales_monthly') }}
),

overall as (
    select
        store,
        month_start_date,
        net_revenue_amount,
        order_count,
        new_customer_count,
        currency_code
    from sales_monthly
    where dimension = 'overall'
),

final as (
    select
        *,
        net_revenue_amount
        - lag(net_revenue_amount) over (partition by store order by month_start_date) as net_revenue_change_amount,
        net_revenue_amount
        / nullif(lag(net_revenue_amount) over (partition by store order by month_start_date), 0)
        - 1 as net_revenue_change_share
    from overall
)

select * from final
order by store, month_start_date
