select * from marts.sales_hour_weekday
