select * from ml.churn_calibration
