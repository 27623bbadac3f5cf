"""ml.churn_calibration: calibration bins of every classifier on the out-of-time validation
rows."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.customer_value import tables


@measured
def model(dbt, session):
    return tables.churn_calibration(
        dbt.ref("churn_validation_predictions").project("store, model_name, is_positive, probability").df()
    )
