"""Retention as survival (python_models/retention/): survival.py has the Kaplan-Meier curves
and log-rank tests, groups.py each customer's duration and groups; tables.py has one function
per dbt model."""
