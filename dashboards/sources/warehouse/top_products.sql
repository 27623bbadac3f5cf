-- The top 20 of each store by net revenue (ties share a rank, so a few more rows can come).
select * from marts.top_products where net_revenue_rank <= 20
