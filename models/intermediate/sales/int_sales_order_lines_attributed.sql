{#- One row per order line of every store, with what the sales marts group by: period,
    hour and weekday, country, Olist state and category, and whether the customer is new
    or returning. Orders without lines (Olist) get one row with null line columns, so they
    count as orders. Revenue amounts are those of fct_order_lines (macros/revenue.sql).
    Incremental: whole days replaced, like fct_orders (macros/incremental.sql); the history
    check also covers the product categories and the customers' first-order days. -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'order_date'],
    pre_hook="{{ reset_if_history_changed(sales_order_line_history_sources()) }}",
)) }}

with orders as (
    select * from {{ ref('fct_orders') }}
),

order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

customers as (
    select * from {{ ref('dim_customers') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

-- Every row, or the days an incremental build recomputes; an order's lines are on its day.
{{ rows_in_incremental_window('orders', 'orders.order_date') }},

{{ rows_in_incremental_window('order_lines', 'order_lines.order_date') }},

lines_of_orders as (
    select
        orders.order_key,
        orders.store,
        orders.order_id,
        orders.order_type,
        orders.is_cancelled,
        orders.customer_key,
        orders.ordered_at,
        orders.order_date,
        orders.country_name,
        orders.state,
        orders.currency_code,
        order_lines.order_line_key,
        order_lines.product_key,
        order_lines.line_type,
        order_lines.is_product,
        order_lines.quantity,
        order_lines.gross_sales_amount,
        order_lines.cancellation_amount,
        order_lines.net_revenue_amount
    from orders_in_window as orders
    left outer join order_lines_in_window as order_lines
        on orders.order_key = order_lines.order_key
),

-- New: the order is on the customer's first-order day (dim_customers.first_order_at).
customers_classified as (
    select
        lines_of_orders.*,
        case
            when lines_of_orders.customer_key is null then 'no customer'
            when lines_of_orders.order_date = customers.first_order_date then 'new'
            else 'returning'
        end as customer_status
    from lines_of_orders
    left outer join customers
        on lines_of_orders.customer_key = customers.customer_key
),

categorised as (
    select
        customers_classified.*,
        products.category_name_english as category_name
    from customers_classified
    left outer join products
        on customers_classified.product_key = products.product_key
),

final as (
    select
        order_key,
        order_line_key,
        store,
        order_id,
        order_type,
        order_type = 'sale' as is_sale_order,
        is_cancelled,
        order_type = 'sale' and not is_cancelled as is_valued_order,
        customer_key,
        customer_status,
        ordered_at,
        order_date,
        cast(date_trunc('week', order_date) as date) as week_start_date,
        cast(date_trunc('month', order_date) as date) as month_start_date,
        cast(hour(ordered_at) as integer) as hour_of_day,
        cast(isodow(ordered_at) as integer) as iso_day_of_week,
        country_name,
        state,
        product_key,
        category_name,
        is_product,
        line_type,
        quantity,
        gross_sales_amount,
        cancellation_amount,
        net_revenue_amount,
        currency_code
    from categorised
)

select * from final
