select * from ml.recommendation_metrics
