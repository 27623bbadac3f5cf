"""retail_warehouse: plain Python logic behind the dbt project (landing, synthetic data, ML)."""

__version__ = "0.1.0"
