-- Question: how much Online Retail revenue cannot be attributed to a customer (invoices
-- without CustomerID), by month? It is missing from RFM, segments and churn.
with fct_orders as (
    select * from {{ ref('fct_orders') }}
),

monthly as (
    select
        cast(date_trunc('month', order_date) as date) as month_start_date,
        sum(net_revenue_amount) as net_revenue_amount,
        sum(net_revenue_amount) filter (where customer_key is null) as no_customer_net_revenue_amount
    from fct_orders
    where store = 'online_retail'
    group by date_trunc('month', order_date)
),

final as (
    select
        month_start_date,
        net_revenue_amount,
        coalesce(no_customer_net_revenue_amount, 0) as no_customer_net_revenue_amount,
        coalesce(no_customer_net_revenue_amount, 0) / nullif(net_revenue_amount, 0) as no_customer_share
    from monthly
)

select * from final
order by month_start_date
