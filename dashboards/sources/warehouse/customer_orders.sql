-- Each customer's sale orders by day, for the customer lookup page's order history.
select
    store,
    customer_id,
    order_date,
    count(*) as order_count,
    sum(net_revenue_amount) as net_revenue_amount
from marts.fct_orders
where order_type = 'sale' and customer_id is not null
group by store, customer_id, order_date
