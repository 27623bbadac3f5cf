{#- One row per Olist seller (Online Retail sells its own stock: no sellers). Sellers of
    order items missing from the optional sellers file are kept with unknown location, so
    every order line finds its seller. -#}
with sellers as (
    select * from {{ ref('stg_olist__sellers') }}
),

order_items as (
    select * from {{ ref('stg_olist__order_items') }}
),

country_names as (
    select * from {{ ref('country_names') }}
),

brazil as (
    select * from country_names
    where source_country_name = 'Brazil'
),

sellers_sold_not_in_file as (
    select distinct order_items.seller_id
    from order_items
    anti join sellers
        on order_items.seller_id = sellers.seller_id
    where order_items.seller_id is not null
),

all_sellers as (
    select
        seller_id,
        seller_zip_code_prefix,
        seller_city,
        seller_state,
        true as is_in_seller_file
    from sellers
    union all
    select
        seller_id,
        cast(null as varchar) as seller_zip_code_prefix,
        cast(null as varchar) as seller_city,
        cast(null as varchar) as seller_state,
        false as is_in_seller_file
    from sellers_sold_not_in_file
),

final as (
    select
        {{ store_key("'olist'", ['all_sellers.seller_id']) }} as seller_key,
        'olist' as store,
        all_sellers.seller_id,
        all_sellers.seller_zip_code_prefix as zip_code_prefix,
        all_sellers.seller_city as city,
        all_sellers.seller_state as state,
        brazil.country_name,
        brazil.country_code,
        all_sellers.is_in_seller_file
    from all_sellers
    left outer join brazil
        on true
)

select * from final
