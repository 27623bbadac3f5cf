"""What the landing layer expects of each input file.

Raw tables keep every source column as text (typing happens in staging, where a value that
does not parse sends its row to quarantine instead of failing the build) plus four lineage
columns: ``_source_file``, ``_source_sheet`` (xlsx only), ``_source_row_number`` (1-based
among the data rows of the file or sheet, header excluded) and ``_source_line_problem`` (why
the line could not be read whole, e.g. longer than the line limit; null for a readable line).
"""

from __future__ import annotations

from dataclasses import dataclass

LINEAGE_COLUMNS = ("_source_file", "_source_sheet", "_source_row_number", "_source_line_problem")


@dataclass(frozen=True)
class OnlineRetailVersion:
    """One published layout of the UCI Online Retail data set."""

    name: str
    # source header -> canonical raw column, in the file's column order
    header: tuple[tuple[str, str], ...]

    @property
    def source_columns(self) -> tuple[str, ...]:
        return tuple(source for source, _ in self.header)


ONLINE_RETAIL_COLUMNS = (
    "invoice_no",
    "stock_code",
    "description",
    "quantity",
    "invoice_date",
    "unit_price",
    "customer_id",
    "country",
)

ONLINE_RETAIL_VERSIONS = (
    OnlineRetailVersion(
        name="online_retail_i",
        header=(
            ("InvoiceNo", "invoice_no"),
            ("StockCode", "stock_code"),
            ("Description", "description"),
            ("Quantity", "quantity"),
            ("InvoiceDate", "invoice_date"),
            ("UnitPrice", "unit_price"),
            ("CustomerID", "customer_id"),
            ("Country", "country"),
        ),
    ),
    OnlineRetailVersion(
        name="online_retail_ii",
        header=(
            ("Invoice", "invoice_no"),
            ("StockCode", "stock_code"),
            ("Description", "description"),
            ("Quantity", "quantity"),
            ("InvoiceDate", "invoice_date"),
            ("Price", "unit_price"),
            ("Customer ID", "customer_id"),
            ("Country", "country"),
        ),
    ),
)


@dataclass(frozen=True)
class OlistFile:
    """One of the nine Kaggle Olist CSVs."""

    table: str  # raw table name, without the store prefix
    file_stem: str  # file name without .csv / .csv.gz
    columns: tuple[str, ...]
    required: bool


OLIST_FILES = (
    OlistFile(
        "orders",
        "olist_orders_dataset",
        (
            "order_id",
            "customer_id",
            "order_status",
            "order_purchase_timestamp",
            "order_approved_at",
            "order_delivered_carrier_date",
            "order_delivered_customer_date",
            "order_estimated_delivery_date",
        ),
        required=True,
    ),
    OlistFile(
        "customers",
        "olist_customers_dataset",
        (
            "customer_id",
            "customer_unique_id",
            "customer_zip_code_prefix",
            "customer_city",
            "customer_state",
        ),
        required=True,
    ),
    OlistFile(
        "order_items",
        "olist_order_items_dataset",
        (
            "order_id",
            "order_item_id",
            "product_id",
            "seller_id",
            "shipping_limit_date",
            "price",
            "freight_value",
        ),
        required=True,
    ),
    OlistFile(
        "order_payments",
        "olist_order_payments_dataset",
        ("order_id", "payment_sequential", "payment_type", "payment_installments", "payment_value"),
        required=False,
    ),
    OlistFile(
        "order_reviews",
        "olist_order_reviews_dataset",
        (
            "review_id",
            "order_id",
            "review_score",
            "review_comment_title",
            "review_comment_message",
            "review_creation_date",
            "review_answer_timestamp",
        ),
        required=False,
    ),
    OlistFile(
        "products",
        "olist_products_dataset",
        (
            "product_id",
            "product_category_name",
            "product_name_lenght",
            "product_description_lenght",
            "product_photos_qty",
            "product_weight_g",
            "product_length_cm",
            "product_height_cm",
            "product_width_cm",
        ),
        required=False,
    ),
    OlistFile(
        "sellers",
        "olist_sellers_dataset",
        ("seller_id", "seller_zip_code_prefix", "seller_city", "seller_state"),
        required=False,
    ),
    OlistFile(
        "geolocation",
        "olist_geolocation_dataset",
        (
            "geolocation_zip_code_prefix",
            "geolocation_lat",
            "geolocation_lng",
            "geolocation_city",
            "geolocation_state",
        ),
        required=False,
    ),
    OlistFile(
        "product_category_name_translation",
        "product_category_name_translation",
        ("product_category_name", "product_category_name_english"),
        required=False,
    ),
)

OLIST_FILES_BY_TABLE = {spec.table: spec for spec in OLIST_FILES}
