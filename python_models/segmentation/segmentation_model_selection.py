"""ml.segmentation_model_selection: KMeans, GMM, Ward and DBSCAN scored per store, the chosen
model and k with the reason (retail_warehouse.ml.segmentation)."""

from retail_warehouse.ml.segmentation import SegmentationConfig
from retail_warehouse.ml.segmentation_models import model_selection


def model(dbt, session):
    config = SegmentationConfig(seed=int(dbt.config.get("seed")))
    return model_selection(dbt.ref("customer_features").df(), config)
