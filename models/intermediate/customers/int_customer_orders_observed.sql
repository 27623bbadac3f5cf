{#- The orders of customers (any order type) placed before the as-of date of their store: the
    observation window of the RFM, cohort and feature marts. as_of_date is the var
    rfm_as_of_date when given, as one date for every store ('2011-09-01') or one per store
    ({olist: '2018-01-01'}), else the day after the store's last order (any order, with or
    without customer). -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

store_last_orders as (
    select
        store,
        max(order_date) as last_order_date
    from orders
    group by store
),

{%- set given_as_of_dates = rfm_as_of_date_literals() %}

-- A store's as-of date: the var's date for the store (or for every store), else the day after
-- its last order.
store_as_of_dates as (
    select
        store,
        {% if given_as_of_dates -%}
            case
                {%- for store, as_of_date in given_as_of_dates.items() %}
                    when {{ "true" if store == '*' else "store = '" ~ store ~ "'" }}
                        then {{ as_of_date }}
                {%- endfor %}
                else cast(last_order_date + interval 1 day as date)
            end as as_of_date
        {%- else -%}
            cast(last_order_date + interval 1 day as date) as as_of_date
        {%- endif %}
    from store_last_orders
),

final as (
    {{ observe_customer_orders('orders', 'store_as_of_dates') }}
)

select * from final
