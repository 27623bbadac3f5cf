with source as (
    select * from {{ source('olist', 'products') }}
),

typed as (
    select
        nullif(trim(product_id), '') as product_id,
        nullif(trim(product_category_name), '') as product_category_name,
        -- Olist spells these 'lenght'; staging fixes the spelling.
        try_cast(nullif(trim(product_name_lenght), '') as integer) as product_name_length,
        try_cast(nullif(trim(product_description_lenght), '') as integer) as product_description_length,
        try_cast(nullif(trim(product_photos_qty), '') as integer) as photos_count,
        try_cast(nullif(trim(product_weight_g), '') as integer) as weight_g,
        try_cast(nullif(trim(product_length_cm), '') as integer) as length_cm,
        try_cast(nullif(trim(product_height_cm), '') as integer) as height_cm,
        try_cast(nullif(trim(product_width_cm), '') as integer) as width_cm,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(product_name_lenght), '') as product_name_length_text,
        nullif(trim(product_description_lenght), '') as product_description_length_text,
        nullif(trim(product_photos_qty), '') as photos_count_text,
        nullif(trim(product_weight_g), '') as weight_g_text,
        nullif(trim(product_length_cm), '') as length_cm_text,
        nullif(trim(product_height_cm), '') as height_cm_text,
        nullif(trim(product_width_cm), '') as width_cm_text
    from source
),

flagged as (
    select
        *,
        product_category_name is not null as has_category,
        (
            weight_g is not null
            and length_cm is not null
            and height_cm is not null
            and width_cm is not null
        ) as has_dimensions
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when product_id is null then 'missing product_id'
            when {{ is_repeat_of_key(['product_id']) }} then 'duplicate product_id'
            when {{ failed_cast('product_name_length_text', 'product_name_length') }}
                then 'product_name_lenght is not an integer'
            when {{ failed_cast('product_description_length_text', 'product_description_length') }}
                then 'product_description_lenght is not an integer'
            when {{ failed_cast('photos_count_text', 'photos_count') }} then 'product_photos_qty is not an integer'
            when {{ failed_cast('weight_g_text', 'weight_g') }} then 'product_weight_g is not an integer'
            when {{ failed_cast('length_cm_text', 'length_cm') }} then 'product_length_cm is not an integer'
            when {{ failed_cast('height_cm_text', 'height_cm') }} then 'product_height_cm is not an integer'
            when {{ failed_cast('width_cm_text', 'width_cm') }} then 'product_width_cm is not an integer'
            when
                product_name_length < 0
                or product_description_length < 0
                or photos_count < 0
                or weight_g < 0
                or length_cm < 0
                or height_cm < 0
                or width_cm < 0
                then 'negative length, photo count, weight or dimension'
        end as quarantine_reason,
        product_id as record_key
    from flagged
),

final as (
    select
        * exclude (
            source_line_problem,
            product_name_length_text,
            product_description_length_text,
            photos_count_text,
            weight_g_text,
            length_cm_text,
            height_cm_text,
            width_cm_text
        )
    from checked
)

select * from final
