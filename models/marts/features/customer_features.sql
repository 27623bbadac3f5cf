{#- One row per customer of marts.customer_rfm (grain: store + customer_id): the documented
    input of every ML model. Everything is measured on the orders placed before as_of_date
    (reviews answered and deliveries made before it), so a model trained with an earlier
    rfm_as_of_date sees no later data. The scoring_ columns are the customer's state on the
    store's scoring day, the day after its data end (marts.store_data_ends): the one "today"
    every model that scores current customers reads (churn, value, segmentation, customer_360).
    A customer with a sale order after the data end has no state as of that day: not
    scorable, with the reason. The products and categories bought come, with the default
    as-of date (every order observed), from the incremental per-customer counts
    (int_customer_products_bought); with var rfm_as_of_date from the lines of the orders
    before it. -#}
-- depends_on: {{ ref('int_customer_products_bought') }}
-- depends_on: {{ ref('fct_order_lines') }}
-- depends_on: {{ ref('dim_products') }}
with customers as (
    select * from {{ ref('int_customers_measured') }}
),

data_ends as (
    select * from {{ ref('store_data_ends') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

customer_orders as (
    select * from {{ ref('int_customer_orders_observed') }}
),

order_reviews as (
    select * from {{ ref('fct_order_reviews') }}
),

order_payments as (
    select * from {{ ref('fct_order_payments') }}
),

{% if rfm_as_of_date_literals() -%}
    order_lines as (
        select * from {{ ref('fct_order_lines') }}
    ),

    products as (
        select * from {{ ref('dim_products') }}
    ),

    {{ customer_products_bought('order_lines', 'customer_orders', 'products') }},
{%- else -%}
    products_bought as (
        select * from {{ ref('int_customer_products_bought') }}
    ),
{%- endif %}

reviews_known as (
    select
        customer_orders.customer_key,
        order_reviews.review_score
    from order_reviews
    inner join customer_orders
        on order_reviews.order_key = customer_orders.order_key
    where
        coalesce(order_reviews.review_answered_at, order_reviews.reviewed_at)
        < cast(customer_orders.as_of_date as timestamp)
),

reviews_averaged as (
    select
        customer_key,
        count(*) as review_count,
        avg(review_score) as mean_review_score
    from reviews_known
    group by customer_key
),

-- Instalments of an order: the most chosen among its payments (a voucher adds a 1).
order_installments as (
    select
        customer_orders.customer_key,
        order_payments.order_key,
        max(order_payments.installments) as installments
    from order_payments
    inner join customer_orders
        on order_payments.order_key = customer_orders.order_key
    group by customer_orders.customer_key, order_payments.order_key
),

installments_averaged as (
    select
        customer_key,
        avg(installments) as mean_installments
    from order_installments
    group by customer_key
),

deliveries_counted as (
    select
        customer_key,
        count(is_delivered_late) as delivered_order_count,
        count(*) filter (where is_delivered_late) as late_delivery_count
    from customer_orders
    where store = 'olist'
    group by customer_key
),

-- Customers with a sale order (the one definition: type sale, not cancelled) after their
-- store's data end.
customers_ordering_after_data_end as (
    select distinct
        orders.store,
        orders.customer_key
    from orders
    inner join data_ends on orders.store = data_ends.store
    where
        orders.order_type = 'sale'
        and not orders.is_cancelled
        and orders.order_date > data_ends.data_end_date
),

scoring_states as (
    select
        customers.customer_key,
        data_ends.data_end_date,
        cast(data_ends.data_end_date + 1 as date) as scoring_date,
        customers_ordering_after_data_end.customer_key is null as is_scorable
    from customers
    inner join data_ends on customers.store = data_ends.store
    left outer join customers_ordering_after_data_end
        on
            customers.store = customers_ordering_after_data_end.store
            and customers.customer_key = customers_ordering_after_data_end.customer_key
),

final as (
    select
        customers.store,
        customers.customer_key,
        customers.customer_id,
        customers.as_of_date,
        customers.currency_code,
        customers.recency_days,
        customers.frequency,
        customers.monetary,
        customers.first_order_date,
        customers.last_order_date,
        customers.tenure_days,
        customers.cancellation_order_count,
        customers.gross_sales_amount,
        customers.cancellation_amount,
        customers.avg_basket_amount,
        customers.avg_basket_quantity,
        cast(coalesce(products_bought.distinct_product_count, 0) as integer) as distinct_product_count,
        cast(case
            when customers.store = 'olist' then coalesce(products_bought.distinct_category_count, 0)
        end as integer) as distinct_category_count,
        cast(
            customers.cancellation_amount / nullif(customers.gross_sales_amount, 0) as double
        ) as return_rate,
        customers.mean_days_between_orders,
        cast(reviews_averaged.mean_review_score as double) as mean_review_score,
        cast(case
            when customers.store = 'olist' then coalesce(reviews_averaged.review_count, 0)
        end as integer) as review_count,
        cast(deliveries_counted.delivered_order_count as integer) as delivered_order_count,
        cast(deliveries_counted.late_delivery_count as integer) as late_delivery_count,
        cast(installments_averaged.mean_installments as double) as mean_installments,
        customers.country_name,
        customers.state,
        scoring_states.scoring_date,
        scoring_states.is_scorable,
        cast(case
            when scoring_states.is_scorable
                then date_diff('day', customers.last_order_date, scoring_states.scoring_date)
        end as integer) as scoring_recency_days,
        cast(case
            when scoring_states.is_scorable
                then date_diff('day', customers.first_order_date, scoring_states.scoring_date)
        end as integer) as scoring_tenure_days,
        case
            when not scoring_states.is_scorable
                then
                    'sale order after the data end (' || strftime(scoring_states.data_end_date, '%Y-%m-%d')
                    || '): no state as of the scoring day'
        end as unscored_reason
    from customers
    left outer join scoring_states
        on customers.customer_key = scoring_states.customer_key
    left outer join products_bought
        on customers.customer_key = products_bought.customer_key
    left outer join reviews_averaged
        on customers.customer_key = reviews_averaged.customer_key
    left outer join installments_averaged
        on customers.customer_key = installments_averaged.customer_key
    left outer join deliveries_counted
        on customers.customer_key = deliveries_counted.customer_key
)

select * from final
