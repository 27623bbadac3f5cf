{#- The observation window of the customer models, shared by the current window
    (int_customer_orders_observed, one as-of date per store) and the monthly snapshots
    (int_customer_orders_snapshotted, many as-of dates per store): so a feature measured at a
    past snapshot is computed exactly as today's. -#}

{#- The orders of customers placed before each as-of date of their store. `orders` is a
    relation with fct_orders' columns, `as_of_dates` one with (store, as_of_date). -#}
{% macro observe_customer_orders(orders, as_of_dates) -%}
    select
        {{ orders }}.order_key,
        {{ orders }}.store,
        {{ orders }}.order_id,
        {{ orders }}.customer_key,
        {{ orders }}.customer_id,
        {{ as_of_dates }}.as_of_date,
        {{ orders }}.order_type,
        {{ orders }}.order_status,
        {{ orders }}.is_cancelled,
        {{ orders }}.ordered_at,
        {{ orders }}.order_date,
        cast(date_trunc('month', {{ orders }}.order_date) as date) as order_month,
        {{ orders }}.total_quantity,
        {{ orders }}.gross_sales_amount,
        {{ orders }}.cancellation_amount,
        {{ orders }}.net_revenue_amount,
        {{ orders }}.currency_code,
        -- Delivery is known only once it happened before the as-of date.
        case
            when {{ orders }}.delivered_to_customer_at < cast({{ as_of_dates }}.as_of_date as timestamp)
                then {{ orders }}.is_delivered_late
        end as is_delivered_late,
        {{ orders }}.country_name,
        {{ orders }}.state
    from {{ orders }}
    inner join {{ as_of_dates }}
        on
            {{ orders }}.store = {{ as_of_dates }}.store
            and {{ orders }}.order_date < {{ as_of_dates }}.as_of_date
    where {{ orders }}.customer_key is not null
{%- endmacro %}

{#- The CTEs sale_orders_marked, customer_totals, customers_with_sales and final: one row per
    customer and as-of date with at least one sale order in the window `customer_orders` (the
    output of observe_customer_orders): raw RFM values and the order-level measures. A sale
    order is one of type sale that was not cancelled (Olist status canceled or unavailable),
    the one definition the labels, survival and experiments share. Revenue is fct_orders'
    (macros/revenue.sql), summed, never re-derived. -#}
{% macro measure_customers(customer_orders) -%}
sale_orders_marked as (
    select
        *,
        order_type = 'sale' and not is_cancelled as is_sale_order
    from {{ customer_orders }}
),

customer_totals as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        {{ customer_order_aggregates() }}
    from sale_orders_marked
    group by store, customer_key, customer_id, as_of_date
),

customers_with_sales as (
    select * from customer_totals
    where frequency > 0
),

{{ customer_measures_final('customers_with_sales') }}
{%- endmacro %}

{#- The measures of a customer's orders (rows of `sale_orders_marked`, with is_sale_order),
    without the as-of date: shared by measure_customers and the incremental per-customer totals
    (int_customer_order_totals). -#}
{% macro customer_order_aggregates() -%}
    any_value(currency_code) as currency_code,
    count(distinct order_id) filter (where is_sale_order) as frequency,
    count(distinct order_id) filter (where order_type = 'cancellation') as cancellation_order_count,
    min(order_date) filter (where is_sale_order) as first_order_date,
    max(order_date) filter (where is_sale_order) as last_order_date,
    sum(gross_sales_amount) as gross_sales_amount,
    sum(cancellation_amount) as cancellation_amount,
    sum(net_revenue_amount) as net_revenue_amount,
    avg(gross_sales_amount) filter (where is_sale_order) as avg_basket_amount,
    avg(total_quantity) filter (where is_sale_order) as avg_basket_quantity,
    arg_max(country_name, ordered_at) filter (where is_sale_order) as country_name,
    arg_max(state, ordered_at) filter (where is_sale_order) as state
{%- endmacro %}

{#- The CTE final of the customer measures: one row per row of `customers_with_sales` (the
    aggregates above, an as_of_date, frequency > 0); recency and tenure are counted to the
    as-of date. -#}
{% macro customer_measures_final(customers_with_sales) -%}
final as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        currency_code,
        first_order_date,
        last_order_date,
        cast(date_trunc('month', first_order_date) as date) as cohort_month,
        cast(date_diff('day', last_order_date, as_of_date) as integer) as recency_days,
        cast(frequency as integer) as frequency,
        cast(net_revenue_amount as decimal(18, 4)) as monetary,
        cast(gross_sales_amount as decimal(18, 4)) as gross_sales_amount,
        cast(cancellation_amount as decimal(18, 4)) as cancellation_amount,
        cast(cancellation_order_count as integer) as cancellation_order_count,
        cast(date_diff('day', first_order_date, as_of_date) as integer) as tenure_days,
        cast(avg_basket_amount as decimal(18, 4)) as avg_basket_amount,
        cast(avg_basket_quantity as double) as avg_basket_quantity,
        case
            when frequency > 1
                then cast(date_diff('day', first_order_date, last_order_date) as double) / (frequency - 1)
        end as mean_days_between_orders,
        country_name,
        state
    from {{ customers_with_sales }}
)
{%- endmacro %}

{#- The CTEs store_last_orders and store_as_of_dates: each store's as-of date, the var
    rfm_as_of_date for the store (or for every store) when given, else the day after its last
    order in `orders` (fct_orders' rows: any order, with or without customer). -#}
{% macro store_as_of_dates(orders) -%}
store_last_orders as (
    select
        store,
        max(order_date) as last_order_date
    from {{ orders }}
    group by store
),

{%- set given_as_of_dates = rfm_as_of_date_literals() %}

-- A store's as-of date: the var's date for the store (or for every store), else the day after
-- its last order.
store_as_of_dates as (
    select
        store,
        {% if given_as_of_dates -%}
            case
                {%- for store, as_of_date in given_as_of_dates.items() %}
                    when {{ "true" if store == '*' else "store = '" ~ store ~ "'" }}
                        then {{ as_of_date }}
                {%- endfor %}
                else cast(last_order_date + interval 1 day as date)
            end as as_of_date
        {%- else -%}
            cast(last_order_date + interval 1 day as date) as as_of_date
        {%- endif %}
    from store_last_orders
)
{%- endmacro %}

{#- The CTEs lines_bought and products_bought: per customer of `customer_orders` (orders with
    order_key and customer_key), the distinct products and categories (known ones) of the
    lines of type sale (not cancelled, not written off) of products (not postage or fees) in
    `order_lines` (fct_order_lines' rows), categories from `products` (dim_products' rows).
    Shared by customer_features (with var rfm_as_of_date: the orders before it) and the
    incremental int_customer_products_bought (every order). -#}
{% macro customer_products_bought(order_lines, customer_orders, products) -%}
lines_bought as (
    select
        {{ customer_orders }}.customer_key,
        {{ order_lines }}.product_key,
        {{ products }}.category_name_english
    from {{ order_lines }}
    inner join {{ customer_orders }}
        on {{ order_lines }}.order_key = {{ customer_orders }}.order_key
    inner join {{ products }}
        on {{ order_lines }}.product_key = {{ products }}.product_key
    where
        {{ order_lines }}.line_type = 'sale'
        and {{ order_lines }}.is_product
),

products_bought as (
    select
        customer_key,
        count(distinct product_key) as distinct_product_count,
        count(distinct category_name_english) filter (
            where category_name_english <> 'unknown'
        ) as distinct_category_count
    from lines_bought
    group by customer_key
)
{%- endmacro %}
