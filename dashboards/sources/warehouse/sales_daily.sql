select * from marts.sales_daily where dimension = 'overall'
