"""ml.segment_profiles: size, revenue share, quartiles, RFM mix, name and action per segment."""

from retail_warehouse.ml.segmentation_models import segment_profiles


def model(dbt, session):
    return segment_profiles(
        dbt.ref("customer_segments").df(),
        dbt.ref("customer_features").df(),
        dbt.ref("customer_rfm").df(),
    )
