"""Churn and customer value (python_models/customer_value/): labels.py builds out-of-time
examples without leakage, churn.py the classifiers, spend.py the spend regressions and the
BG/NBD + Gamma-Gamma value (btyd.py), metrics.py their scores; tables.py has one function per
dbt model."""
