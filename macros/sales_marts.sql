{#-
    Sales and seasonality marts (models/marts/sales). The period marts sales_daily,
    sales_weekly and sales_monthly are one tidy table each: one row per store + period +
    dimension + dimension_value, where dimension is

        overall    dimension_value 'all': every order of the store
        country    country of the order (both stores; Olist is Brazil)
        state      Olist customer state (UF) of the order; Online Retail has none (no rows)
        category   Olist product category in English, of the order's lines; Online Retail
                   has no categories (no rows). Orders without items have no category.

    An order counts once in every dimension_value it touches: in category rows an order
    with lines of two categories counts in both, its lines and revenue are split between them.
-#}

{#- The dimensions of the sales period marts: name and the expression of its value on a row
    of int_sales_order_lines_attributed; rows where the value is null are left out. -#}
{% macro sales_dimensions() -%}
    {{ return([
        {'name': 'overall', 'value': "'all'"},
        {'name': 'country', 'value': "coalesce(country_name, 'unknown')"},
        {'name': 'state', 'value': "case when store = 'olist' then coalesce(state, 'unknown') end"},
        {'name': 'category', 'value': "case when store = 'olist' and order_line_key is not null then coalesce(category_name, 'unknown') end"},
    ]) }}
{%- endmacro %}

{#- The rows of `relation` once per dimension, with columns dimension and dimension_value
    (a union; rows whose value is null in a dimension are not in it). -#}
{% macro rows_by_dimension(relation, dimensions) -%}
    {%- for dimension in dimensions %}
        select
            *,
            '{{ dimension.name }}' as dimension,
            {{ dimension.value }} as dimension_value
        from {{ relation }}
        where {{ dimension.value }} is not null
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The body of a sales period mart: the measures of int_sales_customer_days added up by
    store, period (`period_column`: order_date, week_start_date or month_start_date) and
    dimension. Order counts and amounts are sums (an order is on one day, of one customer);
    customers are counted distinct over the customer-days of the period. -#}
{% macro sales_by_period(period_column) -%}
with customer_days as (
    select * from {{ ref('int_sales_customer_days') }}
),

-- Every row, or the days an incremental build recomputes (sales_daily, macros/incremental.sql).
{{ rows_in_incremental_window('customer_days', 'customer_days.order_date') }},

period_totals as (
    select
        store,
        {{ period_column }},
        dimension,
        dimension_value,
        min(currency_code) as currency_code,
        sum(order_count) as order_count,
        sum(cancelled_order_count) as cancelled_order_count,
        sum(line_count) as line_count,
        coalesce(sum(units_sold), 0) as units_sold,
        coalesce(sum(gross_sales_amount), 0) as gross_sales_amount,
        coalesce(sum(cancellation_amount), 0) as cancellation_amount,
        coalesce(sum(net_revenue_amount), 0) as net_revenue_amount,
        sum(valued_order_count) as valued_order_count,
        sum(valued_order_net_revenue_amount) as valued_order_net_revenue_amount,
        count(distinct customer_key) filter (where order_count > 0) as customer_count,
        count(distinct customer_key) filter (
            where order_count > 0 and customer_status = 'new'
        ) as new_customer_count,
        count(distinct customer_key) filter (
            where order_count > 0 and customer_status = 'returning'
        ) as returning_customer_count,
        coalesce(sum(order_count) filter (where customer_status = 'new'), 0) as new_customer_order_count,
        coalesce(
            sum(order_count) filter (where customer_status = 'returning'), 0
        ) as returning_customer_order_count,
        coalesce(
            sum(order_count) filter (where customer_status = 'no customer'), 0
        ) as no_customer_order_count
    from customer_days_in_window
    group by store, {{ period_column }}, dimension, dimension_value
),

final as (
    select
        store,
        {{ period_column }},
        dimension,
        dimension_value,
        cast(order_count as bigint) as order_count,
        cast(cancelled_order_count as bigint) as cancelled_order_count,
        cast(line_count as bigint) as line_count,
        cast(units_sold as bigint) as units_sold,
        cast(gross_sales_amount as decimal(18, 4)) as gross_sales_amount,
        cast(cancellation_amount as decimal(18, 4)) as cancellation_amount,
        cast(net_revenue_amount as decimal(18, 4)) as net_revenue_amount,
        cast(customer_count as bigint) as customer_count,
        cast(new_customer_count as bigint) as new_customer_count,
        cast(returning_customer_count as bigint) as returning_customer_count,
        cast(new_customer_order_count as bigint) as new_customer_order_count,
        cast(returning_customer_order_count as bigint) as returning_customer_order_count,
        cast(no_customer_order_count as bigint) as no_customer_order_count,
        cast(valued_order_count as bigint) as valued_order_count,
        cast(
            valued_order_net_revenue_amount / nullif(valued_order_count, 0) as decimal(18, 4)
        ) as average_order_value,
        currency_code
    from period_totals
)

select * from final
{%- endmacro %}

{#- Modified z-score (Iglewicz and Hoaglin) of `value` against a median and a median absolute
    deviation; null when the deviation is 0 (the measure cannot tell outliers apart). -#}
{% macro robust_z_score(value, median, mad) -%}
    (0.6745 * ({{ value }} - {{ median }}) / nullif({{ mad }}, 0))
{%- endmacro %}

{#- The dimensions of the EDA distribution marts: the whole store, and each RFM segment of
    marts.customer_rfm ('no customer', 'not scored' apart). -#}
{% macro eda_dimensions() -%}
    {{ return([
        {'name': 'overall', 'value': "'all'"},
        {'name': 'rfm_segment', 'value': 'rfm_segment'},
    ]) }}
{%- endmacro %}
