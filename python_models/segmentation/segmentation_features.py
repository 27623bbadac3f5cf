"""ml.segmentation_features: which customer features the segmentation uses per store, and why
(retail_warehouse.ml.segmentation.features): the choice of each store's registered model
(ml_registry.segmentation_models), made when it was fitted."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import registry, scheduled


@measured
def model(dbt, session):
    return scheduled.segmentation_features(
        dbt.ref("segmentation_models").query("registry", registry.LATEST_MODELS).df()
    )
