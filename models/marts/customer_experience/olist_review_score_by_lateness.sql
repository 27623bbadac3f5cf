{#- Olist review score, with the other experience KPIs, per lateness bucket of the delivery
    day against the estimated day (int_olist_order_experience.lateness_bucket): one row per
    lateness_bucket (KPIs defined in macros/customer_experience.sql). -#}
{{ olist_customer_experience(['lateness_bucket_order', 'lateness_bucket']) }}
