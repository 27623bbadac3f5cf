{#- Olist customer experience per seller: one row per seller_key; an order counts for each
    seller it has items of, with those items' prices and freight (KPIs defined in
    macros/customer_experience.sql). -#}
{{ olist_customer_experience(['seller_key', 'seller_id', 'seller_state'], item_level=true) }}
