{#-
    Incremental refresh of the fact and daily marts (fct_order_lines, fct_orders, sales_daily).

    The raw tables are re-landed from the input files on every build, and staging and the
    intermediate models are rebuilt from them; only these three marts keep their rows between
    builds (in the build copy, warehouse/.build/: the publish step copies it, never moves it).
    An incremental build recomputes, per store, the days from (last order_date already in the
    mart - var incremental_lookback_days) on, and replaces those whole days: unique_key
    (store, order_date) with the delete+insert strategy (macros/overrides/delete_insert_merge.sql)
    deletes every row of a recomputed day and inserts its new rows. So:
      - appending a day (new rows at the end of a file, or a new file given as input) adds it;
      - late rows dated inside the lookback window (and Olist order status changes of orders
        placed inside it) are picked up;
      - rows dated before the window, changes to older orders, a day inside the window that
        lost every row, and order lines without an order date (Olist items of an unusable
        order) are NOT: run `dbt build --full-refresh` after such a change.
    A store new to the mart (no window start) is built whole. A non-incremental model (the
    weekly and monthly marts share sales_by_period) gets every row.
-#}

{#- The CTE `<relation>_in_window`: the rows of the CTE `relation` that the build recomputes,
    by their day `date_expression` (every row when the model is not built incrementally). -#}
{% macro rows_in_incremental_window(relation, date_expression) -%}
{{ relation }}_in_window as (
    {%- if is_incremental() %}
        select {{ relation }}.*
        from {{ relation }}
        left outer join (
            {{ incremental_window_starts() }}
        ) as window_starts
            on {{ relation }}.store = window_starts.store
        where
            window_starts.window_start_date is null
            or {{ date_expression }} >= window_starts.window_start_date
    {%- else %}
        select * from {{ relation }}
    {%- endif %}
)
{%- endmacro %}

{#- The first day each store's rows are recomputed from: last order_date in the mart minus the
    lookback (a query on the mart; stores not yet in it have none). -#}
{% macro incremental_window_starts() -%}
    select
        store,
        cast(max(order_date) - to_days({{ number_var_literal('incremental_lookback_days', 0, integer=true) }}) as date) as window_start_date
    from {{ this }}
    group by store
{%- endmacro %}

{#- pre_hook of an incremental mart: when the inputs changed before the lookback window (the
    input files were replaced rather than appended to, or rows dated before the window were
    added, changed or removed), empty the mart so this build fills it whole, as a full refresh
    would. Each fingerprint compares, per store and over the days before the window, aggregates
    of the mart's rows with the same aggregates of an upstream relation: {'upstream': relation,
    'upstream_date': its day expression, 'mart_where': optional filter of the mart's rows,
    'values': [...]}, where
    a value is [mart aggregate, upstream aggregate], or one aggregate for both in which `$.`
    stands for the side's alias. -#}
{% macro reset_if_history_changed(fingerprints) -%}
    {%- if execute and is_incremental() -%}
        {%- set changed = [] -%}
        {%- for fingerprint in fingerprints -%}
            {%- set query -%}
                with window_starts as (
                    {{ incremental_window_starts() }}
                ),

                mart_history as (
                    select
                        mart.store,
                        {%- for value in fingerprint['values'] %}
                            {{ value.replace('$.', 'mart.') if value is string else value[0] }}
                                as value_{{ loop.index }}{{ ',' if not loop.last }}
                        {%- endfor %}
                    from {{ this }} as mart
                    inner join window_starts
                        on mart.store = window_starts.store
                    where mart.order_date < window_starts.window_start_date and ({{ fingerprint.get('mart_where', 'true') }})
                    group by mart.store
                ),

                upstream_history as (
                    select
                        upstream.store,
                        {%- for value in fingerprint['values'] %}
                            {{ value.replace('$.', 'upstream.') if value is string else value[1] }}
                                as value_{{ loop.index }}{{ ',' if not loop.last }}
                        {%- endfor %}
                    from {{ fingerprint['upstream'] }} as upstream
                    inner join window_starts
                        on upstream.store = window_starts.store
                    where {{ fingerprint['upstream_date'] }} < window_starts.window_start_date
                    group by upstream.store
                )

                select count(*) as differing_stores
                from mart_history
                full outer join upstream_history
                    on mart_history.store = upstream_history.store
                where
                    {%- for value in fingerprint['values'] %}
                        mart_history.value_{{ loop.index }} is distinct from upstream_history.value_{{ loop.index }}
                        {{ 'or' if not loop.last }}
                    {%- endfor %}
            {%- endset -%}
            {%- if run_query(query).columns[0].values()[0] > 0 -%}
                {%- do changed.append(fingerprint['upstream'] | string) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if changed -%}
            {{ log("incremental: " ~ this ~ " is rebuilt whole: its inputs changed before the lookback window ("
                ~ (changed | join(', ')) ~ " differs from the kept rows)", info=true) }}
            delete from {{ this }}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- The fingerprints of the three incremental marts: the columns that decide their rows. -#}
{% macro order_line_history_fingerprints() -%}
    {{ return([{
        'upstream': ref('int_order_lines_unioned'),
        'upstream_date': 'cast(upstream.ordered_at as date)',
        'values': [
            'count(*)',
            'bit_xor(hash($.order_id, $.line_number, $.customer_id, $.product_id, $.ordered_at, $.line_type, '
            ~ '$.quantity, $.net_revenue_amount, $.gross_sales_amount, $.country_name))',
        ],
    }]) }}
{%- endmacro %}

{% macro order_history_fingerprints() -%}
    {{ return([
        {
            'upstream': ref('int_orders_unioned'),
            'upstream_date': 'cast(upstream.ordered_at as date)',
            'values': [
                'count(*)',
                'bit_xor(hash($.order_id, $.customer_id, $.order_type, $.order_status, $.is_cancelled, $.ordered_at, '
                ~ '$.delivered_to_customer_at, $.estimated_delivery_at, $.state))',
            ],
        },
        {
            'upstream': ref('int_order_lines_unioned'),
            'upstream_date': 'cast(upstream.ordered_at as date)',
            'values': [
                ['sum(mart.line_count)', 'count(*)'],
                'sum($.net_revenue_amount)',
                'sum($.gross_sales_amount)',
            ],
        },
    ]) }}
{%- endmacro %}

{% macro sales_daily_history_fingerprints() -%}
    {{ return([{
        'upstream': ref('int_sales_order_lines_attributed'),
        'upstream_date': 'upstream.order_date',
        'mart_where': "mart.dimension = 'overall'",
        'values': [
            ['sum(mart.line_count)', "count(upstream.order_line_key) filter (where upstream.line_type = 'sale')"],
            'coalesce(sum($.net_revenue_amount), 0)',
            ['sum(mart.order_count)', 'count(distinct upstream.order_key) filter (where upstream.is_sale_order)'],
            [
                'sum(mart.customer_count)',
                "count(distinct cast(upstream.order_date as varchar) || upstream.customer_key) "
                ~ "filter (where upstream.is_sale_order)",
            ],
            [
                'sum(mart.new_customer_count)',
                "count(distinct cast(upstream.order_date as varchar) || upstream.customer_key) "
                ~ "filter (where upstream.is_sale_order and upstream.customer_status = 'new')",
            ],
        ],
    }]) }}
{%- endmacro %}
