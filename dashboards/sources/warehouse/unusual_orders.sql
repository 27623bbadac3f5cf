select * from marts.unusual_orders
