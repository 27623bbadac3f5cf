select * from marts.olist_customer_experience_monthly
