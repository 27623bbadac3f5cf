{#- One row per store + order_date + dimension + dimension_value: see macros/sales_marts.sql.
    Incremental: whole days replaced, see macros/incremental.sql. -#}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['store', 'order_date'],
    on_schema_change='fail',
    incremental_window_delete=true,
    pre_hook="{{ reset_if_history_changed(sales_daily_history_sources()) }}",
    post_hook="{{ record_history_fingerprints() }}",
) }}

{{ sales_by_period('order_date') }}
