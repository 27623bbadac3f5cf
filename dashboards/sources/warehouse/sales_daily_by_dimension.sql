-- Daily sales of every cut of marts.sales_daily (overall, country, Olist state and category),
-- only the columns the filters and figures use: the pages filter it by store, dates and value.
select
    store,
    order_date,
    dimension,
    dimension_value,
    order_count,
    net_revenue_amount,
    currency_code
from marts.sales_daily
