select * from marts.sales_monthly
