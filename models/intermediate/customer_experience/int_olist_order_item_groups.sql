{#- One row per Olist order + product category + seller: the order's items of that category
    sold by that seller, their prices and freight. The customer-experience marts by category
    and by seller attribute an order to each category / seller it has items of. -#}
with order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

products as (
    select * from {{ ref('dim_products') }}
),

sellers as (
    select * from {{ ref('dim_sellers') }}
),

olist_lines as (
    select * from order_lines
    where store = 'olist'
),

lines_described as (
    select
        olist_lines.order_key,
        coalesce(products.category_name_english, 'unknown') as category_name,
        olist_lines.seller_key,
        olist_lines.seller_id,
        sellers.state as seller_state,
        olist_lines.gross_sales_amount,
        olist_lines.freight_amount
    from olist_lines
    left outer join products
        on olist_lines.product_key = products.product_key
    left outer join sellers
        on olist_lines.seller_key = sellers.seller_key
),

final as (
    select
        order_key,
        category_name,
        seller_key,
        seller_id,
        seller_state,
        cast(count(*) as integer) as item_count,
        cast(sum(gross_sales_amount) as decimal(18, 4)) as price_amount,
        cast(sum(freight_amount) as decimal(18, 4)) as freight_amount
    from lines_described
    group by order_key, category_name, seller_key, seller_id, seller_state
)

select * from final
