"""ml.segmentation_model_selection: KMeans, GMM, Ward and DBSCAN scored per store, the chosen
model and k with the reason (retail_warehouse.ml.segmentation.clustering): the selection that
chose each store's registered model (ml_registry.segmentation_models), run when it was fitted."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import registry, scheduled


@measured
def model(dbt, session):
    return scheduled.model_selection(dbt.ref("segmentation_models").query("registry", registry.LATEST_MODELS).df())
