{#- The products of every store in one shape: the base of marts.dim_products. -#}
{{ union_store_models(['int_online_retail_products_described', 'int_olist_products_translated']) }}
