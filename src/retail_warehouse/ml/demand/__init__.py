"""Demand (python_models/demand/): series.py puts each store's daily demand on its calendar,
forecasting.py backtests and forecasts it, seasonality.py decomposes it and finds the peaks,
capacity.py turns the forecast into staff and load, anomalies.py finds unusual days, orders
and customers; tables.py has one function per dbt model."""
