"""Every current customer (customer_features) once: probability from the store's best
classifier refitted on all labelled history, churn probability, risk band, top drivers."""

from retail_warehouse.ml.labels import load_order_columns
from retail_warehouse.ml.value_tables import churn_scores_table


def model(dbt, session):
    dbt.config(materialized="table")
    return churn_scores_table(
        dbt.ref("customer_features").df(),
        load_order_columns(dbt.ref("fct_orders")),
        dbt.ref("customer_value_examples").df(),
        dbt.ref("churn_model_metrics").df(),
        seed=int(dbt.config.get("seed")),
        max_rows=int(dbt.config.get("max_training_rows")),
        model="churn_scores",
    )
