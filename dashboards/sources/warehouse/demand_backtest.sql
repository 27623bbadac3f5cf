select * from ml.forecast_backtest where series_id like 'orders|overall|%'
