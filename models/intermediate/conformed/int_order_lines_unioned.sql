{#- The order lines of every store in one shape: the base of marts.fct_order_lines and of
    the order totals in marts.fct_orders. -#}
{{ union_store_models(['int_online_retail_order_lines_prepared', 'int_olist_order_lines_prepared']) }}
