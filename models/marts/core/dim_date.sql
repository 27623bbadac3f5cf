{#- One row per calendar day, in whole weeks and months, around every date any fact refers
    to: order dates of both stores, Olist delivery and estimated delivery dates, review
    dates. Whole periods, so that week and month starts (cohorts, weekly sales) are days of
    the dimension too. -#}
with orders as (
    select * from {{ ref('int_orders_unioned') }}
),

order_reviews as (
    select * from {{ ref('stg_olist__order_reviews') }}
),

fact_dates as (
    select cast(ordered_at as date) as date_day from orders
    union all
    select cast(delivered_to_customer_at as date) as date_day from orders
    union all
    select cast(estimated_delivery_at as date) as date_day from orders
    union all
    select cast(reviewed_at as date) as date_day from order_reviews
    union all
    select cast(review_answered_at as date) as date_day from order_reviews
),

date_bounds as (
    select
        least(date_trunc('month', min(date_day)), date_trunc('week', min(date_day))) as first_day,
        last_day(max(date_day)) as last_day
    from fact_dates
),

spine as (
    select cast(unnest(generate_series(first_day, last_day, interval 1 day)) as date) as date_day
    from date_bounds
    where first_day is not null
),

final as (
    select
        date_day,
        cast(year(date_day) as integer) as calendar_year,
        cast(quarter(date_day) as integer) as calendar_quarter,
        cast(month(date_day) as integer) as calendar_month,
        monthname(date_day) as month_name,
        strftime(date_day, '%Y-%m') as calendar_year_month,
        cast(day(date_day) as integer) as day_of_month,
        cast(isodow(date_day) as integer) as iso_day_of_week,
        dayname(date_day) as day_name,
        cast(isoyear(date_day) as integer) as iso_year,
        cast(weekofyear(date_day) as integer) as iso_week,
        cast(date_trunc('week', date_day) as date) as week_start_date,
        cast(date_trunc('month', date_day) as date) as month_start_date,
        cast(date_trunc('quarter', date_day) as date) as quarter_start_date,
        isodow(date_day) in (6, 7) as is_weekend
    from spine
)

select * from final
