select * from ml.peak_periods
