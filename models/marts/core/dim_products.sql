{#- One row per product of every store: Online Retail stock codes (non-product codes such as
    postage flagged), Olist products with their category in English. -#}
with products as (
    select * from {{ ref('int_products_unioned') }}
),

final as (
    select
        {{ store_key('store', ['product_id']) }} as product_key,
        store,
        product_id,
        product_name,
        description_count,
        category_name,
        category_name_english,
        has_category_translation,
        is_product,
        is_in_product_file,
        photos_count,
        weight_g,
        length_cm,
        height_cm,
        width_cm
    from products
)

select * from final
