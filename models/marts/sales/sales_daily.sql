{#- One row per store + order_date + dimension + dimension_value: see macros/sales_marts.sql. -#}
{{ sales_by_period('order_date') }}
