"""ml.product_associations: association rules between items bought in the same basket."""

from retail_warehouse.ml.common import measured_model
from retail_warehouse.ml.recommendations import tables


def model(dbt, session):
    with measured_model(dbt.this.identifier):
        return tables.product_associations(
            dbt.ref("fct_order_lines")
            .filter(tables.SALE_LINES)
            .project(tables.LINE_COLUMNS)
            .order(tables.LINE_ORDER)
            .df(),
            dbt.ref("dim_products").project(tables.PRODUCT_COLUMNS).order("product_key").df(),
        )
