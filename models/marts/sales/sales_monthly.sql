{#- One row per store + month_start_date + dimension + dimension_value: see macros/sales_marts.sql. -#}
{{ sales_by_period('month_start_date') }}
