with source as (
    select * from {{ source('olist', 'sellers') }}
),

typed as (
    select
        nullif(trim(seller_id), '') as seller_id,
        -- Text with leading zeros; a prefix that lost them (opened in a spreadsheet) is re-padded.
        case
            when regexp_full_match(trim(seller_zip_code_prefix), '[0-9]{1,5}')
                then lpad(trim(seller_zip_code_prefix), 5, '0')
        end as seller_zip_code_prefix,
        nullif(trim(seller_city), '') as seller_city,
        -- A state code is two letters (UF); anything else cannot be read and is kept as null.
        case
            when regexp_full_match(upper(trim(seller_state)), '[A-Z]{2}') then upper(trim(seller_state))
        end as seller_state,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(seller_zip_code_prefix), '') as seller_zip_code_prefix_text,
        nullif(trim(seller_state), '') as seller_state_text
    from source
),

flagged as (
    select
        *,
        seller_state_text is not null and seller_state is null as is_seller_state_unreadable
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when seller_id is null then 'missing seller_id'
            when {{ is_repeat_of_key(['seller_id']) }} then 'duplicate seller_id'
            when {{ failed_cast('seller_zip_code_prefix_text', 'seller_zip_code_prefix') }}
                then 'seller_zip_code_prefix is not a zip code prefix (1 to 5 digits)'
        end as quarantine_reason,
        seller_id as record_key
    from flagged
),

final as (
    select * exclude (source_line_problem, seller_zip_code_prefix_text, seller_state_text)
    from checked
)

select * from final
