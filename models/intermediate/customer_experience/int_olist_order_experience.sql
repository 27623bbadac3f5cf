{#- One row per Olist order with what the customer-experience marts measure: status,
    delivery against the estimate (lateness bucket), the order's review, its payments,
    item prices and freight. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

order_reviews as (
    select * from {{ ref('fct_order_reviews') }}
),

order_payments as (
    select * from {{ ref('fct_order_payments') }}
),

olist_orders as (
    select * from orders
    where store = 'olist'
),

-- The order's latest review stands for it (a few orders have several).
reviews_by_recency as (
    select
        *,
        row_number() over (
            partition by order_key
            order by review_answered_at desc nulls last, reviewed_at desc nulls last, review_id asc
        ) as recency_rank
    from order_reviews
),

latest_reviews as (
    select * from reviews_by_recency
    where recency_rank = 1
),

-- The main payment type is that of the largest payment.
payments_by_size as (
    select
        *,
        row_number() over (
            partition by order_key
            order by payment_amount desc, payment_sequence asc
        ) as size_rank
    from order_payments
),

payment_totals as (
    select
        order_key,
        count(*) as payment_count,
        max(installments) as installments,
        min(payment_type) filter (where size_rank = 1) as main_payment_type
    from payments_by_size
    group by order_key
),

orders_described as (
    select
        olist_orders.*,
        latest_reviews.review_score,
        latest_reviews.answer_hours as review_answer_hours,
        payment_totals.payment_count,
        payment_totals.installments,
        payment_totals.main_payment_type
    from olist_orders
    left outer join latest_reviews
        on olist_orders.order_key = latest_reviews.order_key
    left outer join payment_totals
        on olist_orders.order_key = payment_totals.order_key
),

final as (
    select
        order_key,
        order_id,
        customer_key,
        order_status,
        cast(date_trunc('month', order_date) as date) as month_start_date,
        coalesce(state, 'unknown') as customer_state,
        coalesce(is_delivered, false) as is_delivered,
        is_cancelled,
        delivery_days,
        delay_days,
        is_on_time,
        is_delivered_late,
        case
            when delay_days is null then 'not delivered'
            when delay_days <= -15 then 'early 15+ days'
            when delay_days <= -8 then 'early 8-14 days'
            when delay_days <= -1 then 'early 1-7 days'
            when delay_days = 0 then 'on the estimated day'
            when delay_days <= 3 then 'late 1-3 days'
            when delay_days <= 7 then 'late 4-7 days'
            when delay_days <= 14 then 'late 8-14 days'
            else 'late 15+ days'
        end as lateness_bucket,
        case
            when delay_days is null then 9
            when delay_days <= -15 then 1
            when delay_days <= -8 then 2
            when delay_days <= -1 then 3
            when delay_days = 0 then 4
            when delay_days <= 3 then 5
            when delay_days <= 7 then 6
            when delay_days <= 14 then 7
            else 8
        end as lateness_bucket_order,
        line_count as item_count,
        gross_sales_amount as price_amount,
        freight_amount,
        review_score,
        review_answer_hours,
        payment_count,
        installments,
        main_payment_type
    from orders_described
)

select * from final
