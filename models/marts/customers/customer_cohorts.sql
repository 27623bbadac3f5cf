{#- Monthly acquisition cohorts (grain: store + cohort_month + months_since_first_order): the
    customers whose first sale order falls in cohort_month, and for every calendar month
    since, up to the month before the as-of date, how many of them placed a sale order
    (active) and their net revenue. Months without activity are rows with 0, so every
    cohort has a full retention curve. -#}
with customer_orders as (
    select * from {{ ref('int_customer_orders_observed') }}
),

customers as (
    select * from {{ ref('int_customers_measured') }}
),

cohort_sizes as (
    select
        store,
        cohort_month,
        any_value(as_of_date) as as_of_date,
        any_value(currency_code) as currency_code,
        count(*) as cohort_customers
    from customers
    group by store, cohort_month
),

-- Every month from the cohort's first to the last month observed (the as-of date's day before).
cohort_months as (
    select
        *,
        unnest(generate_series(
            0,
            date_diff('month', cohort_month, cast(date_trunc('month', as_of_date - interval 1 day) as date))
        )) as months_since_first_order
    from cohort_sizes
),

-- Calendar months between the cohort month and the order month (31 Jan -> 1 Feb is 1). An
-- Online Retail cancellation booked before the first sale month (a return of goods bought
-- before the data starts) counts in month 0, so cohort revenue adds up to customer_rfm.
orders_indexed as (
    select
        customer_orders.*,
        customers.cohort_month,
        greatest(
            date_diff('month', customers.cohort_month, customer_orders.order_month), 0
        ) as months_since_first_order
    from customer_orders
    inner join customers
        on customer_orders.customer_key = customers.customer_key
),

monthly_activity as (
    select
        store,
        cohort_month,
        months_since_first_order,
        count(distinct customer_key) filter (where order_type = 'sale' and not is_cancelled) as active_customers,
        count(distinct order_id) filter (where order_type = 'sale' and not is_cancelled) as sale_orders,
        sum(net_revenue_amount) as net_revenue_amount
    from orders_indexed
    group by store, cohort_month, months_since_first_order
),

final as (
    select
        cohort_months.store,
        cohort_months.cohort_month,
        cast(cohort_months.months_since_first_order as integer) as months_since_first_order,
        cast(cohort_months.cohort_month + to_months(cast(cohort_months.months_since_first_order as integer)) as date)
            as activity_month,
        cohort_months.as_of_date,
        cohort_months.currency_code,
        cast(cohort_months.cohort_customers as integer) as cohort_customers,
        cast(coalesce(monthly_activity.active_customers, 0) as integer) as active_customers,
        cast(coalesce(monthly_activity.active_customers, 0) as double) / cohort_months.cohort_customers
            as retention_share,
        cast(coalesce(monthly_activity.sale_orders, 0) as integer) as sale_orders,
        cast(coalesce(monthly_activity.net_revenue_amount, 0) as decimal(18, 4)) as net_revenue_amount
    from cohort_months
    left outer join monthly_activity
        on
            cohort_months.store = monthly_activity.store
            and cohort_months.cohort_month = monthly_activity.cohort_month
            and cohort_months.months_since_first_order = monthly_activity.months_since_first_order
)

select * from final
