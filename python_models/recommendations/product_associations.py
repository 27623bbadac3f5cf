"""ml.product_associations: association rules between items bought in the same basket."""

from retail_warehouse.ml.common import measured
from retail_warehouse.ml.recommendations import tables


@measured
def model(dbt, session):
    return tables.product_associations(
        dbt.ref("fct_order_lines").filter(tables.SALE_LINES).project(tables.LINE_COLUMNS),
        dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS),
    )
