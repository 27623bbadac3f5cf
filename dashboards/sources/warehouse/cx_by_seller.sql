-- Sellers with at least 30 orders (the long tail of tiny sellers says little).
select * from marts.olist_customer_experience_by_seller where order_count >= 30
