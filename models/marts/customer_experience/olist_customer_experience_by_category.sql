{#- Olist customer experience per product category (English name): one row per
    category_name; an order counts in each category it has items of, with those items'
    prices and freight (KPIs defined in macros/customer_experience.sql). -#}
{{ olist_customer_experience(['category_name'], item_level=true) }}
