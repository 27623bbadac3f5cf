-- One row per customer of each store with every prediction about them: identity, history,
-- RFM, the model segment, churn, the transaction model (P(alive), expected purchases, 12-month
-- value with its 80% interval, expected next order), the top 3 recommendations and, for
-- Olist, the delivery experience. The grain is marts.customer_features'. The row is as of the
-- store's scoring day, the day after its data end (customer_features.scoring_date, the day the
-- segments, churn and value look from); a customer with a sale order after the data end has
-- no state as of it: unscored_reason says why.

with

customers as (
    select * from {{ ref('customer_features') }}
),

rfm as (
    select * from {{ ref('customer_rfm') }}
),

segments as (
    select * from {{ ref('customer_segments') }}
),

churn as (
    select * from {{ ref('churn_scores') }}
),

value as (
    select * from {{ ref('customer_value_predictions') }}
),

recommendations as (
    select * from {{ ref('product_recommendations') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

top_recommendations as (
    select
        store,
        customer_key,
        string_agg(item_name, ' | ' order by recommendation_rank) as top_recommended_items,
        min(item_level) as recommendation_item_level
    from recommendations
    where recommendation_rank <= 3
    group by store, customer_key
),

delivery_delays as (
    -- Delivered sale orders only: delay_days is measured for them (fct_orders).
    select
        store,
        customer_key,
        avg(delay_days) as mean_delivery_delay_days
    from orders
    where order_type = 'sale' and delay_days is not null
    group by store, customer_key
),

final as (
    select
        customers.store,
        customers.customer_key,
        customers.customer_id,
        customers.scoring_date as as_of_date,
        customers.currency_code,
        customers.country_name,
        customers.state,
        customers.first_order_date,
        customers.last_order_date,
        customers.scoring_tenure_days as tenure_days,
        customers.scoring_recency_days as recency_days,
        customers.frequency as order_count,
        customers.monetary as net_revenue_amount,
        rfm.r_score,
        rfm.f_score,
        rfm.m_score,
        rfm.rfm_score,
        rfm.rfm_segment,
        segments.segment_name as model_segment_name,
        churn.target_name as churn_target_name,
        churn.churn_probability,
        churn.positive_class_probability as churn_target_probability,
        churn.risk_band as churn_risk_band,
        value.value_model_name,
        value.probability_alive,
        value.probability_alive_note,
        value.expected_purchases_90d,
        value.expected_purchases_12m as expected_purchases_365d,
        value.value_12m as predicted_value_12m,
        value.value_12m_lower_80,
        value.value_12m_upper_80,
        value.expected_next_order_date,
        value.next_order_method,
        value.as_of_date as scored_as_of_date,
        customers.unscored_reason,
        top_recommendations.top_recommended_items,
        top_recommendations.recommendation_item_level,
        customers.delivered_order_count,
        case
            when customers.delivered_order_count > 0
                then customers.late_delivery_count::double / customers.delivered_order_count
        end as late_delivery_share,
        delivery_delays.mean_delivery_delay_days,
        customers.mean_review_score
    from customers
    left outer join rfm
        on customers.store = rfm.store and customers.customer_key = rfm.customer_key
    left outer join segments
        on customers.store = segments.store and customers.customer_key = segments.customer_key
    left outer join churn
        on customers.store = churn.store and customers.customer_key = churn.customer_key
    left outer join value
        on customers.store = value.store and customers.customer_key = value.customer_key
    left outer join top_recommendations
        on
            customers.store = top_recommendations.store
            and customers.customer_key = top_recommendations.customer_key
    left outer join delivery_delays
        on
            customers.store = delivery_delays.store
            and customers.customer_key = delivery_delays.customer_key
)

select * from final
