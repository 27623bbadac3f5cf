{#- One row per store + month_start_date + dimension + dimension_value: see macros/sales_marts.sql.
    Incremental: whole months replaced, from the month of the lookback window's first day on;
    the months before are kept when their days did not change (macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'month_start_date'],
    incremental_window='period',
    incremental_date_column='month_start_date',
    pre_hook="{{ reset_if_history_changed(sales_daily_history_sources()) }}",
)) }}

{{ sales_by_period('month_start_date') }}
