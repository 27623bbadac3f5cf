{#- One row per product sold by a store (products only: postage, fees and other non-product
    codes are left out), ranked within the store by net revenue and by units sold. Filter
    net_revenue_rank <= n for a top n. -#}
with order_lines as (
    select * from {{ ref('int_sales_order_lines_attributed') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

product_lines as (
    select * from order_lines
    where order_line_key is not null and is_product
),

product_totals as (
    select
        store,
        product_key,
        min(currency_code) as currency_code,
        count(distinct order_key) filter (where is_sale_order) as order_count,
        count(*) filter (where line_type = 'sale') as line_count,
        coalesce(sum(quantity) filter (where line_type = 'sale'), 0) as units_sold,
        coalesce(-sum(quantity) filter (where line_type = 'cancellation'), 0) as units_returned,
        count(distinct customer_key) filter (where is_sale_order) as customer_count,
        sum(gross_sales_amount) as gross_sales_amount,
        sum(cancellation_amount) as cancellation_amount,
        sum(net_revenue_amount) as net_revenue_amount,
        min(order_date) filter (where line_type = 'sale') as first_sold_date,
        max(order_date) filter (where line_type = 'sale') as last_sold_date
    from product_lines
    group by store, product_key
),

ranked as (
    select
        *,
        rank() over (partition by store order by net_revenue_amount desc) as net_revenue_rank,
        rank() over (partition by store order by units_sold desc) as units_sold_rank,
        net_revenue_amount / nullif(sum(net_revenue_amount) over (partition by store), 0) as net_revenue_share
    from product_totals
),

final as (
    select
        ranked.store,
        ranked.product_key,
        products.product_id,
        products.product_name,
        products.category_name_english as category_name,
        cast(ranked.net_revenue_rank as bigint) as net_revenue_rank,
        cast(ranked.units_sold_rank as bigint) as units_sold_rank,
        cast(ranked.order_count as bigint) as order_count,
        cast(ranked.line_count as bigint) as line_count,
        cast(ranked.units_sold as bigint) as units_sold,
        cast(ranked.units_returned as bigint) as units_returned,
        cast(ranked.customer_count as bigint) as customer_count,
        cast(ranked.gross_sales_amount as decimal(18, 4)) as gross_sales_amount,
        cast(ranked.cancellation_amount as decimal(18, 4)) as cancellation_amount,
        cast(ranked.net_revenue_amount as decimal(18, 4)) as net_revenue_amount,
        cast(ranked.net_revenue_share as double) as net_revenue_share,
        ranked.first_sold_date,
        ranked.last_sold_date,
        ranked.currency_code
    from ranked
    left outer join products
        on ranked.product_key = products.product_key
)

select * from final
