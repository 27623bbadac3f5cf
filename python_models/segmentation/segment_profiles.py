"""ml.segment_profiles: size, revenue share, quartiles, RFM mix, name and action per segment."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.segmentation import tables


@measured
def model(dbt, session):
    return tables.segment_profiles(
        dbt.ref("customer_segments").project("store, customer_key, segment_id, is_outlier").df(),
        dbt.ref("customer_features").project(tables.CUSTOMER_COLUMNS).df(),
        dbt.ref("customer_rfm").project("customer_key, rfm_segment").df(),
    )
