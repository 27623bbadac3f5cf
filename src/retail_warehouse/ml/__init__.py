"""The machine-learning logic behind the dbt Python models (python_models/): plain, tested
functions on pandas / numpy data. The models stay thin: they fetch marts, call these, and
return a table."""
