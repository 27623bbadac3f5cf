select * from ml.customer_value_metrics
