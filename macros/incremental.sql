{#-
    Incremental refresh of the fact and daily marts (fct_order_lines, fct_orders, sales_daily).

    The raw tables are re-landed from the input files on every build, and staging and the
    intermediate models are rebuilt from them; only these three marts keep their rows between
    builds (in the build copy, warehouse/.build/: the publish step copies it, never moves it).
    An incremental build recomputes, per store, the days from (last order_date already in the
    mart - var incremental_lookback_days) on, and replaces those whole days: unique_key
    (store, order_date) with the delete+insert strategy deletes every row of a recomputed day
    and inserts its new rows. So:
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
            select
                store,
                cast(max(order_date) - to_days({{ var('incremental_lookback_days') | int }}) as date) as window_start_date
            from {{ this }}
            group by store
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
