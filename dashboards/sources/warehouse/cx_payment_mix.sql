select * from marts.olist_payment_mix
