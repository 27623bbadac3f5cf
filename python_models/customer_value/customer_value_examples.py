"""ml.customer_value_examples: labelled out-of-time examples: features at each labelled monthly
cutoff, outcomes in the next H days (windows ending by the store's data end,
marts.store_data_ends), and the split (training / validation / refit_only).
Logic: retail_warehouse.ml.customer_value.labels."""

from retail_warehouse.ml.customer_value import tables


def model(dbt, session):
    return tables.customer_value_examples(
        dbt.ref("customer_feature_snapshots").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("fct_orders").project(tables.ORDER_COLUMNS).df(),
        horizons=dbt.config.get("horizon_days"),
        targets=dbt.config.get("churn_target"),
        data_ends=dbt.ref("store_data_ends").project(tables.DATA_END_COLUMNS).df(),
    )
