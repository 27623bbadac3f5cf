select * from ml.forecast_model_selection
