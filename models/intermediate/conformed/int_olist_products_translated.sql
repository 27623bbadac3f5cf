{#- Olist products in the common product shape, category in English: 'unknown' when the
    product has no category, the Portuguese name when the category has no translation
    (pc_gamer, portateis_cozinha_e_preparadores_de_alimentos). Products sold but missing
    from the (optional) products file are kept, as unknown, so every order line finds its
    product. -#}
with products as (
    select * from {{ ref('stg_olist__products') }}
),

category_translations as (
    select * from {{ ref('stg_olist__product_category_translations') }}
),

order_items as (
    select * from {{ ref('stg_olist__order_items') }}
),

catalogue_products as (
    select
        products.*,
        category_translations.product_category_name_english,
        true as is_in_product_file
    from products
    left outer join category_translations
        on products.product_category_name = category_translations.product_category_name
),

products_sold_not_in_file as (
    select distinct order_items.product_id
    from order_items
    anti join products
        on order_items.product_id = products.product_id
    where order_items.product_id is not null
),

all_products as (
    select
        product_id,
        product_category_name,
        product_category_name_english,
        is_in_product_file,
        photos_count,
        weight_g,
        length_cm,
        height_cm,
        width_cm
    from catalogue_products
    union all
    select
        product_id,
        cast(null as varchar) as product_category_name,
        cast(null as varchar) as product_category_name_english,
        false as is_in_product_file,
        cast(null as integer) as photos_count,
        cast(null as integer) as weight_g,
        cast(null as integer) as length_cm,
        cast(null as integer) as height_cm,
        cast(null as integer) as width_cm
    from products_sold_not_in_file
),

final as (
    select
        'olist' as store,
        product_id,
        cast(null as varchar) as product_name,
        cast(null as integer) as description_count,
        coalesce(product_category_name, 'unknown') as category_name,
        coalesce(product_category_name_english, product_category_name, 'unknown') as category_name_english,
        product_category_name_english is not null as has_category_translation,
        true as is_product,
        is_in_product_file,
        photos_count,
        weight_g,
        length_cm,
        height_cm,
        width_cm
    from all_products
)

select * from final
