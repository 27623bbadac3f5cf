-- Headline figures per store. Revenue is fct_orders.net_revenue_amount (macros/revenue.sql);
-- amounts stay in the store's currency.
select
    store,
    currency_code,
    count(*) filter (where order_type = 'sale') as sale_order_count,
    -- Online Retail: C invoices (apart from the sale invoices); Olist: orders canceled or unavailable.
    count(*) filter (where order_type = 'cancellation' or (order_type = 'sale' and is_cancelled)) as cancelled_order_count,
    count(distinct customer_key) filter (where order_type = 'sale') as customer_count,
    sum(net_revenue_amount) as net_revenue_amount,
    sum(net_revenue_amount) filter (where order_type = 'sale' and not is_cancelled)
        / count(*) filter (where order_type = 'sale' and not is_cancelled) as average_order_value,
    min(order_date) as first_order_date,
    max(order_date) as last_order_date
from marts.fct_orders
group by store, currency_code
