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

{%- set as_of_var = var('rfm_as_of_date', '') %}
{%- set as_of_dates = as_of_var if as_of_var is mapping else {'*': as_of_var} %}
{%- set given_as_of_dates = {} %}
{%- for store, as_of_date in as_of_dates.items() if as_of_date %}
    {%- do given_as_of_dates.update({store: as_of_date}) %}
{%- endfor %}

-- A store's as-of date: the var's date for the store (or for every store), else the day after
-- its last order.
store_as_of_dates as (
    select
        store,
        {% if given_as_of_dates -%}
            case
                {%- for store, as_of_date in given_as_of_dates.items() %}
                    when {{ "true" if store == '*' else "store = '" ~ store ~ "'" }}
                        then cast('{{ as_of_date }}' as date)
                {%- endfor %}
                else cast(last_order_date + interval 1 day as date)
            end as as_of_date
        {%- else -%}
            cast(last_order_date + interval 1 day as date) as as_of_date
        {%- endif %}
    from store_last_orders
),

customer_orders as (
    select * from orders
    where customer_key is not null
),

orders_observed as (
    select
        customer_orders.*,
        store_as_of_dates.as_of_date
    from customer_orders
    inner join store_as_of_dates
        on customer_orders.store = store_as_of_dates.store
    where customer_orders.order_date < store_as_of_dates.as_of_date
),

final as (
    select
        order_key,
        store,
        order_id,
        customer_key,
        customer_id,
        as_of_date,
        order_type,
        order_status,
        is_cancelled,
        ordered_at,
        order_date,
        cast(date_trunc('month', order_date) as date) as order_month,
        total_quantity,
        gross_sales_amount,
        cancellation_amount,
        net_revenue_amount,
        currency_code,
        -- Delivery is known only once it happened before the as-of date.
        case
            when delivered_to_customer_at < cast(as_of_date as timestamp) then is_delivered_late
        end as is_delivered_late,
        country_name,
        state
    from orders_observed
)

select * from final
