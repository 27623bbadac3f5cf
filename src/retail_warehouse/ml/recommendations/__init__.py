"""Product recommendations (python_models/recommendations/): algorithms.py scores and ranks
items, evaluation.py measures the recommenders on each customer's last basket, policy.py holds
each store's choices; tables.py has one function per dbt model."""
