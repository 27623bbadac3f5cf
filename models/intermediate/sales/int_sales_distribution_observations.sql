{#- One row per observation of the EDA distributions (eda_boxplot_stats, eda_histogram_bins):
    the quantity and unit price of every sale line, and the value (net revenue) of every sale
    order not cancelled that has lines, with the RFM segment of its customer ('no customer'
    for Online Retail lines without one, 'not scored' for a customer customer_rfm lacks).
    A view: the segments follow customer_rfm, which moves with the as-of day, so a table would
    be rewritten whole every build (two lines per sale line); its two readers read only the
    columns they need (not observation_key). -#}
{{ config(materialized='view') }}

with order_lines as (
    select * from {{ ref('fct_order_lines') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

customer_rfm as (
    select * from {{ ref('customer_rfm') }}
),

sale_lines as (
    select * from order_lines
    where line_type = 'sale'
),

valued_orders as (
    select * from orders
    where order_type = 'sale' and not is_cancelled and line_count > 0
),

observations as (
    select
        store,
        order_line_key as observation_key,
        customer_key,
        'quantity' as measure,
        cast(quantity as double) as observed_value
    from sale_lines
    union all
    select
        store,
        order_line_key as observation_key,
        customer_key,
        'unit_price' as measure,
        cast(unit_price as double) as observed_value
    from sale_lines
    union all
    select
        store,
        order_key as observation_key,
        customer_key,
        'order_value' as measure,
        cast(net_revenue_amount as double) as observed_value
    from valued_orders
),

final as (
    select
        observations.store,
        observations.measure,
        observations.observation_key,
        observations.customer_key,
        case
            when observations.customer_key is null then 'no customer'
            else coalesce(customer_rfm.rfm_segment, 'not scored')
        end as rfm_segment,
        observations.observed_value
    from observations
    left outer join customer_rfm
        on observations.customer_key = customer_rfm.customer_key
)

select * from final
