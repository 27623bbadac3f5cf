{%- set online_retail_line_values = [
    'invoice_no', 'stock_code', 'description', 'quantity', 'invoiced_at', 'unit_price', 'customer_id', 'country',
] %}

with source as (
    select * from {{ source('online_retail', 'invoice_lines') }}
),

typed as (
    select
        trim(invoice_no) as invoice_no,
        trim(stock_code) as stock_code,
        nullif(trim(description), '') as description,
        try_cast(trim(quantity) as integer) as quantity,
        try_cast(trim(invoice_date) as timestamp) as invoiced_at,
        try_cast(trim(unit_price) as decimal(18, 4)) as unit_price,
        -- Online Retail II and spreadsheet exports write ids as 13085.0.
        regexp_replace(trim(customer_id), '\.0+$', '') as customer_id,
        nullif(trim(country), '') as country,
        _source_file as source_file,
        _source_sheet as source_sheet,
        _source_row_number as source_row_number,
        quantity as quantity_text,
        invoice_date as invoice_date_text,
        unit_price as unit_price_text,
        customer_id as customer_id_text
    from source
),

flagged as (
    select
        *,
        starts_with(invoice_no, 'C') as is_cancellation,
        starts_with(invoice_no, 'A') as is_bad_debt_adjustment,
        {{ is_online_retail_non_product('stock_code') }} as is_non_product,
        customer_id is not null as has_customer,
        quantity < 0 and not starts_with(invoice_no, 'C') as is_stock_adjustment,
        unit_price = 0 as is_zero_price,
        quantity * unit_price as line_amount
    from typed
),

checked as (
    select
        *,
        case
            when invoice_no is null then 'missing invoice_no'
            when stock_code is null then 'missing stock_code'
            when {{ failed_cast('quantity_text', 'quantity') }} then 'quantity is not an integer'
            when quantity is null then 'missing quantity'
            when {{ failed_cast('invoice_date_text', 'invoiced_at') }}
                then 'invoice_date is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when invoiced_at is null then 'missing invoice_date'
            when {{ failed_cast('unit_price_text', 'unit_price') }} then 'unit_price is not a number'
            when unit_price is null then 'missing unit_price'
            when not regexp_full_match(coalesce(customer_id, '0'), '[0-9]+') then 'customer_id is not an integer'
            when invoiced_at >= {{ max_event_timestamp() }} then 'invoice_date in the future'
            when quantity = 0 then 'zero quantity'
            when unit_price < 0 and not is_bad_debt_adjustment
                then 'negative unit_price outside a bad-debt adjustment'
            when {{ is_repeat_of_key(online_retail_line_values, 'source_file, source_sheet, source_row_number') }}
                then 'exact duplicate of an earlier line'
        end as quarantine_reason,
        concat_ws(' / ', invoice_no, stock_code) as record_key
    from flagged
),

final as (
    select * exclude (quantity_text, invoice_date_text, unit_price_text, customer_id_text)
    from checked
)

select * from final
