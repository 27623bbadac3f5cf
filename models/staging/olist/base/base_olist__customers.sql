with source as (
    select * from {{ source('olist', 'customers') }}
),

typed as (
    select
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(customer_unique_id), '') as customer_unique_id,
        -- Text with leading zeros; a prefix that lost them (opened in a spreadsheet) is re-padded.
        case
            when regexp_full_match(trim(customer_zip_code_prefix), '[0-9]{1,5}')
                then lpad(trim(customer_zip_code_prefix), 5, '0')
        end as customer_zip_code_prefix,
        nullif(trim(customer_city), '') as customer_city,
        -- A state code is two letters (UF); anything else cannot be read and is kept as null.
        case
            when regexp_full_match(upper(trim(customer_state)), '[A-Z]{2}') then upper(trim(customer_state))
        end as customer_state,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(customer_zip_code_prefix), '') as customer_zip_code_prefix_text,
        nullif(trim(customer_state), '') as customer_state_text
    from source
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when customer_id is null then 'missing customer_id'
            when {{ is_repeat_of_key(['customer_id']) }} then 'duplicate customer_id'
            when customer_unique_id is null then 'missing customer_unique_id'
            when {{ failed_cast('customer_zip_code_prefix_text', 'customer_zip_code_prefix') }}
                then 'customer_zip_code_prefix is not a zip code prefix (1 to 5 digits)'
        end as quarantine_reason,
        customer_id as record_key
    from typed
),

flagged as (
    select
        *,
        -- Among usable rows: the person (customer_unique_id) placed orders under several customer_ids.
        count(*) filter (where quarantine_reason is null) over (
            partition by customer_unique_id
        ) > 1 as has_several_customer_ids,
        customer_state_text is not null and customer_state is null as is_customer_state_unreadable
    from checked
),

final as (
    select * exclude (source_line_problem, customer_zip_code_prefix_text, customer_state_text)
    from flagged
)

select * from final
