select * from ml.seasonality_components where series_id = 'orders|overall|all'
