select * from ml.churn_model_metrics
