-- Olist delivery and review figures per customer state and month, as sums (so the page can
-- add them over any states and months it is filtered to): sale orders, delivered, late,
-- orders whose lateness is known, late, days to deliver, reviews and their scores.
with orders as (
    select
        order_key,
        state,
        cast(date_trunc('month', order_date) as date) as month_start_date,
        is_delivered,
        is_delivered_late,
        delivery_days
    from marts.fct_orders
    where store = 'olist' and order_type = 'sale'
),

reviews as (
    select
        order_key,
        avg(review_score) as review_score
    from marts.fct_order_reviews
    group by order_key
),

final as (
    select
        orders.state,
        orders.month_start_date,
        count(*) as order_count,
        count(*) filter (where orders.is_delivered) as delivered_order_count,
        count(orders.delivery_days) as measured_delivery_count,
        count(orders.is_delivered_late) as late_measured_count,
        count(*) filter (where orders.is_delivered_late) as late_order_count,
        sum(orders.delivery_days) as delivery_days_sum,
        count(reviews.review_score) as reviewed_order_count,
        sum(reviews.review_score) as review_score_sum
    from orders
    left join reviews on orders.order_key = reviews.order_key
    group by orders.state, orders.month_start_date
)

select * from final
