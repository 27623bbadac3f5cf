"""The machine-learning logic behind the dbt Python models (python_models/<area>/): one
subpackage per area (segmentation, customer_value, demand, recommendations, retention,
experiments) of plain, tested functions on pandas / numpy data, each with a tables module of
one function per dbt model; common.py holds what the areas share. The models stay thin: they
read their refs projected in DuckDB, call their area's tables function, and return a table."""
