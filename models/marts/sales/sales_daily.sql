{#- One row per store + order_date + dimension + dimension_value: see macros/sales_marts.sql.
    Incremental: whole days replaced, see macros/incremental.sql. -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'order_date'],
    pre_hook="{{ reset_if_history_changed(sales_daily_history_sources()) }}",
)) }}

{{ sales_by_period('order_date') }}
