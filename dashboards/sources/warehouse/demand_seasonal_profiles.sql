select * from ml.seasonal_profiles
