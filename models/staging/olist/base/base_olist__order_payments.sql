{#- Incremental by order (macros/incremental_groups.sql): a build rechecks the orders whose
    rows here or in base_olist__orders changed. -#}
{{ config(**incremental_config(
    'group',
    pre_hook="{{ recompute_changed_groups(olist_order_child_sources('olist__order_payments'), 'order_id') }}",
)) }}

with source as (
    select * from {{ source('olist', 'order_payments') }}
    where {{ in_changed_groups("nullif(trim(order_id), '')") }}
),

typed as (
    select
        nullif(trim(order_id), '') as order_id,
        try_cast(nullif(trim(payment_sequential), '') as integer) as payment_sequence,
        nullif(lower(trim(payment_type)), '') as payment_type,
        try_cast(nullif(trim(payment_installments), '') as integer) as installments,
        try_cast(nullif(trim(payment_value), '') as decimal(18, 2)) as payment_value,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(payment_sequential), '') as payment_sequential_text,
        nullif(trim(payment_installments), '') as payment_installments_text,
        nullif(trim(payment_value), '') as payment_value_text
    from source
),

flagged as (
    select
        *,
        coalesce(payment_value = 0, false) as is_zero_value,
        coalesce(installments = 0, false) as has_zero_installments,
        coalesce(payment_type = 'not_defined', false) as is_type_not_defined
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when order_id is null then 'missing order_id'
            when payment_sequential_text is null then 'missing payment_sequential'
            when {{ failed_cast('payment_sequential_text', 'payment_sequence') }}
                then 'payment_sequential is not an integer'
            -- Payments are numbered 1..n within their order: 0 or below names no payment.
            when payment_sequence < 1 then 'payment_sequential below 1'
            when {{ is_repeat_of_key(['order_id', 'payment_sequence']) }}
                then 'duplicate order_id + payment_sequential'
            when {{ failed_cast('payment_installments_text', 'installments') }}
                then 'payment_installments is not an integer'
            when {{ failed_cast('payment_value_text', 'payment_value') }} then 'payment_value is not a number'
            when payment_value is null then 'missing payment_value'
            when payment_value < 0 then 'negative payment_value'
            when installments < 0 then 'negative payment_installments'
        end as quarantine_reason,
        concat_ws(' / ', coalesce(order_id, ''), coalesce(payment_sequential_text, '')) as record_key
    from flagged
),

{{ follow_parent_quarantine('checked', 'base_olist__orders', 'order_id', 'order') }},

counted as (
    select
        *,
        -- Among usable rows: the order was paid in several payments (vouchers plus a card, ...).
        count(*) filter (where quarantine_reason is null) over (
            partition by order_id
        ) > 1 as order_has_several_payments
    from followed
),

final as (
    select * exclude (source_line_problem, payment_sequential_text, payment_installments_text, payment_value_text)
    from counted
)

select * from final
