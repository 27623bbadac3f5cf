"""A/B tests (python_models/experiments/): assignment.py puts customers in variants and
measures their outcome, statistics.py tests the difference (statsmodels, scipy); tables.py
has one function per dbt model."""
