select * from ml.churn_feature_importance
