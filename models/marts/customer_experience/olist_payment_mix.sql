{#- Olist payment mix per purchase month: one row per month_start_date + payment_type, with
    payments, orders, amounts, their shares of the month and the instalments chosen. -#}
with order_payments as (
    select * from {{ ref('fct_order_payments') }}
),

payments_typed as (
    select
        *,
        cast(date_trunc('month', order_date) as date) as month_start_date,
        coalesce(payment_type, 'unknown') as payment_type_known
    from order_payments
),

mix as (
    select
        month_start_date,
        payment_type_known as payment_type,
        count(*) as payment_count,
        count(distinct order_key) as order_count,
        sum(payment_amount) as payment_amount,
        avg(installments) as mean_installments,
        max(installments) as max_installments,
        count(*) filter (where installments > 1) as instalment_payment_count
    from payments_typed
    group by month_start_date, payment_type_known
),

final as (
    select
        month_start_date,
        payment_type,
        cast(payment_count as bigint) as payment_count,
        cast(payment_count / sum(payment_count) over (partition by month_start_date) as double) as payment_share,
        cast(order_count as bigint) as order_count,
        cast(payment_amount as decimal(18, 4)) as payment_amount,
        cast(
            payment_amount / nullif(sum(payment_amount) over (partition by month_start_date), 0) as double
        ) as amount_share,
        cast(mean_installments as double) as mean_installments,
        cast(max_installments as integer) as max_installments,
        cast(instalment_payment_count / payment_count as double) as instalment_payment_share,
        'BRL' as currency_code
    from mix
)

select * from final
