{#- Online Retail products (stock codes) in the common product shape: every stock code of
    the invoice lines, named by its most used description (the source spells one code
    several ways), non-product codes (postage, fees, ...) flagged. -#}
with order_lines as (
    select * from {{ ref('int_online_retail_order_lines_prepared') }}
),

description_usage as (
    select
        product_id,
        line_description,
        count(*) as line_count,
        max(ordered_at) as last_used_at
    from order_lines
    where line_description is not null
    group by product_id, line_description
),

-- The most used description; ties go to the latest used, then the first alphabetically.
description_ranked as (
    select
        *,
        row_number() over (
            partition by product_id
            order by line_count desc, last_used_at desc, line_description asc
        ) as description_rank
    from description_usage
),

stock_codes as (
    select
        product_id,
        bool_and(is_product) as is_product,
        count(distinct line_description) as description_count
    from order_lines
    group by product_id
),

final as (
    select
        'online_retail' as store,
        stock_codes.product_id,
        description_ranked.line_description as product_name,
        cast(stock_codes.description_count as integer) as description_count,
        cast(null as varchar) as category_name,
        cast(null as varchar) as category_name_english,
        cast(null as boolean) as has_category_translation,
        stock_codes.is_product,
        cast(null as boolean) as is_in_product_file,
        cast(null as integer) as photos_count,
        cast(null as integer) as weight_g,
        cast(null as integer) as length_cm,
        cast(null as integer) as height_cm,
        cast(null as integer) as width_cm
    from stock_codes
    left outer join description_ranked
        on
            stock_codes.product_id = description_ranked.product_id
            and description_ranked.description_rank = 1
)

select * from final
