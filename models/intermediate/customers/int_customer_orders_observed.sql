{#- The orders of customers (any order type) placed before the as-of date of their store: the
    observation window of the RFM, cohort and feature marts. as_of_date is the var
    rfm_as_of_date when given, as one date for every store ('2011-09-01') or one per store
    ({olist: '2018-01-01'}), else the day after the store's last order (any order, with or
    without customer). -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

{{ store_as_of_dates('orders') }},

final as (
    {{ observe_customer_orders('orders', 'store_as_of_dates') }}
)

select * from final
