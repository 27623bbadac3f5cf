{#- Online Retail invoice lines in the common order-line shape (int_order_lines_unioned):
    an order is an invoice, numbered lines, countries standardised, revenue by the one
    definition of macros/revenue.sql on staging's signed line_amount (quantity x unit_price).
    Incremental by invoice (an order's lines are numbered and timed across the invoice), like
    staging (macros/incremental_groups.sql); a change of the country names rebuilds it whole. -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups(prepared_invoice_line_sources(), 'order_id') }}",
)) }}

with invoice_lines as (
    select * from {{ ref('stg_online_retail__invoice_lines') }}
    where {{ in_changed_groups('invoice_no') }}
),

country_names as (
    select * from {{ ref('country_names') }}
),

numbered as (
    select
        *,
        -- Lines in file order within their invoice (workbook sheets in name order).
        row_number() over (
            partition by invoice_no
            order by source_file, source_sheet, source_row_number
        ) as line_number,
        -- A few invoices span two minutes: the order time is the invoice's first.
        min(invoiced_at) over (partition by invoice_no) as ordered_at,
        {{ online_retail_line_type() }} as line_type
    from invoice_lines
),

standardised as (
    select
        numbered.*,
        coalesce(country_names.country_name, numbered.country) as country_name,
        country_names.country_code
    from numbered
    left outer join country_names
        on numbered.country = country_names.source_country_name
),

final as (
    select
        'online_retail' as store,
        invoice_no as order_id,
        cast(line_number as integer) as line_number,
        customer_id,
        stock_code as product_id,
        cast(null as varchar) as seller_id,
        ordered_at,
        line_type,
        not is_non_product as is_product,
        quantity,
        cast(unit_price as decimal(18, 4)) as unit_price,
        {{ revenue_amounts('line_type', 'line_amount') }},
        cast(null as decimal(18, 4)) as freight_amount,
        'GBP' as currency_code,
        description as line_description,
        cast(null as timestamp) as shipping_limit_at,
        country_name,
        country_code
    from standardised
)

select * from final
