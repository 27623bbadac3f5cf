{#- One row per review of an order (Olist). Empty on the real data, whose reviews file is
    missing; the synthetic data has reviews. -#}
with order_reviews as (
    select * from {{ ref('stg_olist__order_reviews') }}
),

orders as (
    select * from {{ ref('int_orders_unioned') }}
),

olist_orders as (
    select * from orders
    where store = 'olist'
),

reviews_of_orders as (
    select
        'olist' as store,
        order_reviews.*,
        olist_orders.customer_id,
        olist_orders.ordered_at,
        olist_orders.delivered_to_customer_at,
        olist_orders.is_delivered_late
    from order_reviews
    left outer join olist_orders
        on order_reviews.order_id = olist_orders.order_id
),

final as (
    select
        {{ store_key('store', ['review_id', 'order_id']) }} as order_review_key,
        {{ store_key('store', ['order_id']) }} as order_key,
        store,
        review_id,
        order_id,
        {{ store_key('store', ['customer_id']) }} as customer_key,
        review_score,
        review_score >= 4 as is_positive,
        review_score <= 2 as is_negative,
        has_comment_title,
        has_comment_message,
        review_comment_title,
        review_comment_message,
        reviewed_at,
        cast(reviewed_at as date) as review_date,
        review_answered_at,
        -- An answer before the survey was sent contradicts itself: not measured (flagged in
        -- marts.data_quality_issues).
        case
            when review_answered_at >= reviewed_at
                then cast(date_diff('hour', reviewed_at, review_answered_at) as integer)
        end as answer_hours,
        review_id_has_several_orders,
        order_has_several_reviews,
        is_delivered_late as is_order_delivered_late
    from reviews_of_orders
)

select * from final
