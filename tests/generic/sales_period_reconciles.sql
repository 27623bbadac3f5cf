{#- The reconciliation of a sales period mart (sales_daily, sales_weekly, sales_monthly;
    macros/sales_marts.sql), `period` day, week or month. Per store and period, its overall
    row has the sale, cancelled, valued and customer-less orders, the customers and the revenue
    of fct_orders, the sale lines and units of fct_order_lines, and the new customers of
    dim_customers (first order in the period); the country and state rows add up to the
    overall row, and so do the lines, units and revenue of the category rows (an order with
    lines of several categories counts in each, so its order counts do not). Fails for every
    store, period and measure that differs (column comparison names the check). -#}
{% test sales_period_reconciles(model, period) %}
    {%- set period_column = {'day': 'order_date', 'week': 'week_start_date', 'month': 'month_start_date'}[period] -%}
    {%- set group_by = ['store', period_column] -%}
    {%- set order_period = 'order_date' if period == 'day'
        else "cast(date_trunc('" ~ period ~ "', order_date) as date)" -%}
    {%- set first_order_period = "cast(date_trunc('" ~ period ~ "', first_order_date) as date)" -%}
    {%- set amounts = ['sum(gross_sales_amount)', 'sum(cancellation_amount)', 'sum(net_revenue_amount)'] -%}
    {%- set line_measures = ['sum(line_count)', 'sum(units_sold)'] + amounts -%}
    {%- set order_measures = [
        'sum(order_count)', 'sum(cancelled_order_count)', 'sum(valued_order_count)',
        'sum(new_customer_order_count)', 'sum(returning_customer_order_count)', 'sum(no_customer_order_count)',
    ] -%}
    {%- set comparisons = {
        'fct_orders': totals_differences(
            model, ref('fct_orders'),
            [
                ['sum(order_count)', "count(*) filter (where order_type = 'sale')"],
                ['sum(cancelled_order_count)', 'count(*) filter (where is_cancelled)'],
                ['sum(valued_order_count)', "count(*) filter (where order_type = 'sale' and not is_cancelled)"],
                ['sum(no_customer_order_count)', "count(*) filter (where order_type = 'sale' and customer_key is null)"],
                ['sum(customer_count)', "count(distinct customer_key) filter (where order_type = 'sale')"],
            ] + amounts,
            group_by, ['store', order_period], model_filter="dimension = 'overall'",
        ),
        'fct_order_lines': totals_differences(
            model, ref('fct_order_lines'),
            [
                ['sum(line_count)', "count(*) filter (where line_type = 'sale')"],
                ['sum(units_sold)', "sum(quantity) filter (where line_type = 'sale')"],
            ],
            group_by, ['store', order_period], model_filter="dimension = 'overall'",
        ),
        'dim_customers': totals_differences(
            model, ref('dim_customers'), [['sum(new_customer_count)', 'count(*)']],
            group_by, ['store', first_order_period],
            model_filter="dimension = 'overall'", to_filter='first_order_date is not null',
        ),
        'country rows': totals_differences(
            model, model, order_measures + line_measures, group_by,
            model_filter="dimension = 'country'", to_filter="dimension = 'overall'",
        ),
        'state rows': totals_differences(
            model, model, order_measures + line_measures, group_by,
            model_filter="dimension = 'state'", to_filter="dimension = 'overall' and store = 'olist'",
        ),
        'category rows': totals_differences(
            model, model, line_measures, group_by,
            model_filter="dimension = 'category'", to_filter="dimension = 'overall' and store = 'olist'",
        ),
    } -%}

    with
    {% for name, differences in comparisons.items() %}
        differences_{{ loop.index }} as (
            {{ differences }}
        ),
    {% endfor %}

    final as (
        {% for name in comparisons %}
            select
                '{{ name }}' as comparison,
                *
            from differences_{{ loop.index }}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}
    )

    select * from final

{% endtest %}
