"""ml.segmentation_model_selection: KMeans, GMM, Ward and DBSCAN scored per store, the chosen
model and k with the reason (retail_warehouse.ml.segmentation.clustering)."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables
from retail_warehouse.ml.segmentation.clustering import SegmentationConfig


@measured
def model(dbt, session):
    return tables.segmentation_model_selection(
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        SegmentationConfig(
            seed=int(dbt.config.get("seed")),
            fit_sample_size=int(dbt.config.get("fit_sample_size")),
            pairwise_sample_size=int(dbt.config.get("pairwise_sample_size")),
        ),
    )
