-- Question: what share of each monthly acquisition cohort placed a second order within 90
-- days of the first? (The habit the retention work tries to build; Olist is low.)
with fct_orders as (
    select * from {{ ref('fct_orders') }}
),

dim_customers as (
    select * from {{ ref('dim_customers') }}
),

sale_orders as (
    select
        customer_key,
        order_date
    from fct_orders
    where order_type = 'sale' and customer_key is not null
),

second_orders as (
    select
        sale_orders.customer_key,
        min(sale_orders.order_date) as second_order_date
    from sale_orders
    inner join dim_customers
        on sale_orders.customer_key = dim_customers.customer_key
    where sale_orders.order_date > dim_customers.first_order_date
    group by sale_orders.customer_key
),

customers as (
    select
        dim_customers.store,
        cast(date_trunc('month', dim_customers.first_order_date) as date) as cohort_month,
        coalesce(second_orders.second_order_date - dim_customers.first_order_date <= 90, false)
            as has_second_order_within_90_days
    from dim_customers
    left outer join second_orders
        on dim_customers.customer_key = second_orders.customer_key
    where dim_customers.first_order_date is not null
),

final as (
    select
        store,
        cohort_month,
        count(*) as cohort_customers,
        count(*) filter (where has_second_order_within_90_days) as second_order_customers,
        avg(cast(has_second_order_within_90_days as integer)) as second_order_share
    from customers
    group by store, cohort_month
)

select * from final
order by store, cohort_month
