{#- The order lines of every store in one shape: the base of marts.fct_order_lines and of
    the order totals in marts.fct_orders. A view: its readers (the two marts and their history
    checks) scan the two prepared tables as they would scan this one, and no copy of every line
    is written each build. -#}
{{ config(materialized='view') }}

{{ union_store_models(['int_online_retail_order_lines_prepared', 'int_olist_order_lines_prepared']) }}
