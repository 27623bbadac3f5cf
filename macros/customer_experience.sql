{#-
    Olist customer-experience marts (models/marts/customer_experience): the same KPIs by
    month, customer state, product category, seller and lateness bucket. Every KPI is over
    orders (int_olist_order_experience):

        delivered_share       orders with status delivered / orders
        cancelled_share       orders canceled or unavailable / orders
        delivery days         purchase to delivery, calendar days (delivered orders with a date)
        delay days            estimated day to delivery day (> 0 late, <= 0 on time)
        on_time_share         avg(is_on_time) over the orders whose delivery is measured
        review KPIs           over the orders with a review (their latest review): mean score,
                              share of 1-2 stars, NPS-like score = 100 x (share of 5 stars -
                              share of 1-3 stars), answer time in hours
        freight_price_ratio   freight / item prices
        payment mix           share of the orders (with payments) by main payment type (that
                              of the largest payment), mean of the order's instalments

    By category and by seller an order counts once in every category / seller it has items
    of, with the prices and freight of those items; orders without items are left out there.
-#}

{#- NPS-like score of review scores 1-5: 100 x (promoters (5) - detractors (1-3)) / reviews;
    null without reviews. -#}
{% macro nps_like_score(score) -%}
    100.0 * (count(*) filter (where {{ score }} = 5) - count(*) filter (where {{ score }} <= 3))
    / nullif(count({{ score }}), 0)
{%- endmacro %}

{#- The body of a customer-experience mart grouped by `group_columns` (columns of
    int_olist_order_experience, or with item_level, of int_olist_order_item_groups). -#}
{% macro olist_customer_experience(group_columns, item_level=false) -%}
{%- set payment_types = ['credit_card', 'boleto', 'voucher', 'debit_card'] %}
with order_experience as (
    select * from {{ ref('int_olist_order_experience') }}
),

{% if item_level -%}
order_item_groups as (
    select * from {{ ref('int_olist_order_item_groups') }}
),

order_groups as (
    select
        order_key,
        {{ group_columns | join(',\n        ') }},
        sum(price_amount) as price_amount,
        sum(freight_amount) as freight_amount
    from order_item_groups
    group by all
),

orders_attributed as (
    select
        order_experience.* exclude (price_amount, freight_amount),
        {%- for column in group_columns %}
            order_groups.{{ column }},
        {%- endfor %}
        order_groups.price_amount,
        order_groups.freight_amount
    from order_experience
    inner join order_groups
        on order_experience.order_key = order_groups.order_key
),
{%- else -%}
orders_attributed as (
    select * from order_experience
),
{%- endif %}

kpis as (
    select
        {{ group_columns | join(',\n        ') }},
        count(*) as order_count,
        count(*) filter (where is_delivered) as delivered_order_count,
        count(*) filter (where is_cancelled) as cancelled_order_count,
        count(is_on_time) as measured_delivery_count,
        count(*) filter (where is_delivered_late) as late_order_count,
        avg(delivery_days) as mean_delivery_days,
        median(delivery_days) as median_delivery_days,
        avg(delay_days) as mean_delay_days,
        median(delay_days) as median_delay_days,
        avg(cast(is_on_time as integer)) as on_time_share,
        count(review_score) as reviewed_order_count,
        avg(review_score) as review_score_mean,
        count(*) filter (where review_score <= 2) / nullif(count(review_score), 0) as low_score_share,
        {{ nps_like_score('review_score') }} as nps_like_score,
        avg(review_answer_hours) as mean_review_answer_hours,
        median(review_answer_hours) as median_review_answer_hours,
        sum(price_amount) as price_amount,
        sum(freight_amount) as freight_amount,
        count(main_payment_type) as paid_order_count,
        {%- for payment_type in payment_types %}
            count(*) filter (where main_payment_type = '{{ payment_type }}') as {{ payment_type }}_order_count,
        {%- endfor %}
        avg(installments) as mean_installments
    from orders_attributed
    group by all
),

final as (
    select
        {{ group_columns | join(',\n        ') }},
        cast(order_count as bigint) as order_count,
        cast(delivered_order_count as bigint) as delivered_order_count,
        cast(delivered_order_count / order_count as double) as delivered_share,
        cast(cancelled_order_count as bigint) as cancelled_order_count,
        cast(cancelled_order_count / order_count as double) as cancelled_share,
        cast(measured_delivery_count as bigint) as measured_delivery_count,
        cast(mean_delivery_days as double) as mean_delivery_days,
        cast(median_delivery_days as double) as median_delivery_days,
        cast(mean_delay_days as double) as mean_delay_days,
        cast(median_delay_days as double) as median_delay_days,
        cast(late_order_count as bigint) as late_order_count,
        cast(on_time_share as double) as on_time_share,
        cast(reviewed_order_count as bigint) as reviewed_order_count,
        cast(review_score_mean as double) as review_score_mean,
        cast(low_score_share as double) as low_score_share,
        cast(nps_like_score as double) as nps_like_score,
        cast(mean_review_answer_hours as double) as mean_review_answer_hours,
        cast(median_review_answer_hours as double) as median_review_answer_hours,
        cast(price_amount as decimal(18, 4)) as price_amount,
        cast(freight_amount as decimal(18, 4)) as freight_amount,
        cast(freight_amount / nullif(price_amount, 0) as double) as freight_price_ratio,
        cast(paid_order_count as bigint) as paid_order_count,
        {%- for payment_type in payment_types %}
            cast({{ payment_type }}_order_count / nullif(paid_order_count, 0) as double) as {{ payment_type }}_share,
        {%- endfor %}
        cast(mean_installments as double) as mean_installments
    from kpis
)

select * from final
{%- endmacro %}
