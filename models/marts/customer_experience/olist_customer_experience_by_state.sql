{#- Olist customer experience per customer state (UF of the order): one row per
    customer_state (KPIs defined in macros/customer_experience.sql). -#}
{{ olist_customer_experience(['customer_state']) }}
