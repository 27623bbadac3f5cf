select * from marts.sales_weekly where dimension = 'overall'
