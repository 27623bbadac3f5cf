{#- The orders of every store in one shape: the base of marts.fct_orders (which adds the
    totals of the lines and payments), marts.dim_customers and marts.dim_date. -#}
{{ union_store_models(['int_online_retail_orders_prepared', 'int_olist_orders_prepared']) }}
