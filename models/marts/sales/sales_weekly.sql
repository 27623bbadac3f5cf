{#- One row per store + week_start_date + dimension + dimension_value: see macros/sales_marts.sql. -#}
{{ sales_by_period('week_start_date') }}
