select * from marts.customer_cohorts
