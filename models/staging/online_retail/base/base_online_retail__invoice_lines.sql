{%- set online_retail_line_values = [
    'invoice_no', 'stock_code', 'description', 'quantity', 'invoiced_at', 'unit_price', 'customer_id', 'country',
] %}

{#- Numeric dates written d/m/y or m/d/y (one- or two-digit parts, 2- or 4-digit year, '/',
    '.' or '-', optional time): staging reads them in the order the file proves. -#}
{%- set numeric_date = '^([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{2}|[0-9]{4})([ T].*)?$' %}
{%- set date_formats = {} %}
{%- for order, parts in [('day_first', ['%d', '%m']), ('month_first', ['%m', '%d'])] %}
    {%- set formats = [] %}
    {%- for separator in ['/', '.', '-'] %}
        {%- for year in ['%Y', '%y'] %}
            {%- set day = (parts + [year]) | join(separator) %}
            {%- do formats.extend([day, day ~ ' %H:%M', day ~ ' %H:%M:%S']) %}
        {%- endfor %}
    {%- endfor %}
    {%- do date_formats.update({order: "['" ~ formats | join("', '") ~ "']"}) %}
{%- endfor %}

{#- Incremental by invoice (macros/incremental_groups.sql): a build retypes and rechecks the
    invoices whose raw lines (or their file's date order) changed, and those the moving future
    threshold may flip; its post_hook then applies the store-wide early-date rule, whose 0.1%
    quantile moves with every line, to the kept lines again. -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups(
        online_retail_line_sources(), 'invoice_no', online_retail_unsettled_invoices()
    ) }}",
    post_hook="{{ recheck_online_retail_early_dates() }}",
)) }}

with source as (
    select * from {{ source('online_retail', 'invoice_lines') }}
    where {{ in_changed_groups('trim(invoice_no)') }}
),

-- Landed after the lines (the source above is landed first), whose landing reads each file's
-- date order (retail_warehouse.landing.dates).
file_loads as (
    select * from {{ source('landing', 'file_loads') }}
),

date_parts as (
    select
        *,
        try_cast(regexp_extract(trim(invoice_date), '{{ numeric_date }}', 1) as integer) as date_first_part
    from source
),

-- A file's date order, read from its values as it landed (raw.landing__file_loads.date_order):
-- ISO unless most of its dates are numeric d/m/y or m/d/y; then a first part above 12 proves
-- day-first, a second part above 12 month-first; neither (every part up to 12) or both is
-- ambiguous, and those dates are quarantined.
dated_source as (
    select
        date_parts.*,
        file_loads.date_order as invoice_date_order
    from date_parts
    left outer join file_loads
        on date_parts._source_file = file_loads.file_path
),

typed as (
    select
        trim(invoice_no) as invoice_no,
        trim(stock_code) as stock_code,
        nullif(trim(description), '') as description,
        try_cast(trim(quantity) as integer) as quantity,
        case
            {%- for order, formats in date_formats.items() %}
                when invoice_date_order = '{{ order }}' and date_first_part is not null
                    then try_strptime(trim(invoice_date), {{ formats }})
            {%- endfor %}
            else try_cast(trim(invoice_date) as timestamp)
        end as invoiced_at,
        invoice_date_order,
        invoice_date_order = 'ambiguous' and date_first_part is not null as is_invoice_date_order_ambiguous,
        try_cast(trim(unit_price) as decimal(18, 4)) as unit_price,
        -- Online Retail II and spreadsheet exports write ids as 13085.0.
        regexp_replace(trim(customer_id), '\.0+$', '') as customer_id,
        nullif(trim(country), '') as country,
        _source_file as source_file,
        _source_sheet as source_sheet,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        quantity as quantity_text,
        invoice_date as invoice_date_text,
        unit_price as unit_price_text,
        customer_id as customer_id_text
    from dated_source
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
        -- Wide enough for any typed quantity and price: a 13-digit code typed into the price
        -- times a quantity would overflow DECIMAL(18) and stop the build.
        cast(quantity as decimal(38, 0)) * cast(unit_price as decimal(38, 4)) as wide_line_amount
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when invoice_no is null then 'missing invoice_no'
            when stock_code is null then 'missing stock_code'
            when {{ failed_cast('quantity_text', 'quantity') }} then 'quantity is not an integer'
            when quantity is null then 'missing quantity'
            when is_invoice_date_order_ambiguous
                then 'invoice_date d/m/y or m/d/y: the file''s dates never tell which part is the day'
            when {{ failed_cast('invoice_date_text', 'invoiced_at') }}
                then 'invoice_date is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when invoiced_at is null then 'missing invoice_date'
            when {{ failed_cast('unit_price_text', 'unit_price') }} then 'unit_price is not a number'
            when unit_price is null then 'missing unit_price'
            when not regexp_full_match(coalesce(customer_id, '0'), '[0-9]+') then 'customer_id is not an integer'
            when invoiced_at >= {{ max_event_timestamp() }} then {{ online_retail_future_date_reason() }}
            when quantity = 0 then 'zero quantity'
            when unit_price < 0 and not is_bad_debt_adjustment
                then 'negative unit_price outside a bad-debt adjustment'
            when is_cancellation and quantity > 0
                then 'cancellation line (invoice C...) with a positive quantity'
            when abs(wide_line_amount) >= {{ max_line_amount() }}
                then 'quantity x unit_price beyond +/-10^12 (a code typed into a number?)'
            when {{ is_repeat_of_key(online_retail_line_values, 'source_file, source_sheet, source_row_number') }}
                then 'exact duplicate of an earlier line'
        end as row_quarantine_reason,
        concat_ws(' / ', invoice_no, stock_code) as record_key
    from flagged
),

-- Dates against their neighbours, over the lines that passed the row checks: every line
-- of an invoice is written within minutes, and a store's lines span a few years.
dated as (
    select
        *,
        median(epoch(invoiced_at)) filter (where row_quarantine_reason is null) over (
            partition by invoice_no
        ) as invoice_median_epoch,
        quantile_disc(invoiced_at, 0.001) filter (where row_quarantine_reason is null) over ()
            as store_early_invoiced_at
    from checked
),

date_checked as (
    select
        *,
        coalesce(
            row_quarantine_reason,
            case
                when abs(epoch(invoiced_at) - invoice_median_epoch) > 86400
                    then {{ online_retail_invoice_date_reason() }}
                when {{ is_online_retail_early_date('store_early_invoiced_at') }}
                    then {{ online_retail_early_date_reason() }}
            end
        ) as quarantine_reason
    from dated
),

final as (
    select
        * exclude (
            source_line_problem,
            quantity_text, invoice_date_text, unit_price_text, customer_id_text, wide_line_amount,
            is_invoice_date_order_ambiguous,
            row_quarantine_reason, invoice_median_epoch, store_early_invoiced_at
        ),
        case
            when abs(wide_line_amount) < {{ max_line_amount() }} then cast(wide_line_amount as decimal(18, 4))
        end as line_amount
    from date_checked
)

select * from final
