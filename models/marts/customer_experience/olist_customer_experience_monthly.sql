{#- Olist customer experience per purchase month: one row per month_start_date
    (KPIs defined in macros/customer_experience.sql). -#}
{{ olist_customer_experience(['month_start_date']) }}
