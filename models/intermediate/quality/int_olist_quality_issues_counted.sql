{#- Known quirks of the Olist data that staging keeps (flagged) rather than quarantines, and
    orders whose payments do not reconcile with their items, counted for
    marts.data_quality_issues. Rules with no matching row are listed with row_count 0.
    Rules that look rows up in an optional table (payments, translations, geolocation) count
    0 when that table is empty: its missing file is reported by the mart instead. -#}
with orders as (
    select * from {{ ref('stg_olist__orders') }}
),

customers as (
    select * from {{ ref('stg_olist__customers') }}
),

order_items as (
    select * from {{ ref('stg_olist__order_items') }}
),

order_payments as (
    select * from {{ ref('stg_olist__order_payments') }}
),

order_reviews as (
    select * from {{ ref('stg_olist__order_reviews') }}
),

products as (
    select * from {{ ref('stg_olist__products') }}
),

sellers as (
    select * from {{ ref('stg_olist__sellers') }}
),

geolocations as (
    select * from {{ ref('stg_olist__geolocations') }}
),

category_translations as (
    select * from {{ ref('stg_olist__product_category_translations') }}
),

payments_per_order as (
    select
        order_id,
        count(*) as payment_count,
        sum(payment_value) as payments_total
    from order_payments
    group by order_id
),

items_per_order as (
    select
        order_id,
        count(*) as item_count,
        sum(item_price + coalesce(freight_value, 0)) as items_total
    from order_items
    group by order_id
),

orders_with_totals as (
    select
        orders.*,
        payments_per_order.order_id is not null as has_payment,
        items_per_order.order_id is not null as has_items,
        payments_per_order.payments_total,
        items_per_order.items_total
    from orders
    left outer join payments_per_order
        on orders.order_id = payments_per_order.order_id
    left outer join items_per_order
        on orders.order_id = items_per_order.order_id
),

-- Orders with both payments and items (the others are counted by their own rules).
orders_not_reconciled as (
    select *
    from orders_with_totals
    where
        has_payment
        and has_items
        and abs(payments_total - items_total) > 0.01
),

customer_ids_per_person as (
    select
        customer_unique_id,
        count(distinct customer_id) as customer_id_count
    from customers
    group by customer_unique_id
),

orders_per_review_id as (
    select
        review_id,
        count(distinct order_id) as order_count
    from order_reviews
    group by review_id
),

reviews_per_order as (
    select
        order_id,
        count(distinct review_id) as review_count
    from order_reviews
    group by order_id
),

products_translated as (
    select
        products.*,
        category_translations.product_category_name is not null as has_english_category
    from products
    left outer join category_translations
        on products.product_category_name = category_translations.product_category_name
),

geolocated_zip_codes as (
    select distinct zip_code_prefix
    from geolocations
),

customer_zip_codes as (
    select distinct customers.customer_zip_code_prefix as zip_code_prefix
    from customers
    anti join geolocated_zip_codes
        on customers.customer_zip_code_prefix = geolocated_zip_codes.zip_code_prefix
    where
        customers.customer_zip_code_prefix is not null
        and exists (select 1 from geolocations)
),

seller_zip_codes as (
    select distinct sellers.seller_zip_code_prefix as zip_code_prefix
    from sellers
    anti join geolocated_zip_codes
        on sellers.seller_zip_code_prefix = geolocated_zip_codes.zip_code_prefix
    where
        sellers.seller_zip_code_prefix is not null
        and exists (select 1 from geolocations)
),

-- An order's payments are numbered 1..n; a gap means a payment row is missing.
payment_sequences as (
    select
        order_id,
        max(payment_sequence) <> count(*) as has_sequence_gap
    from order_payments
    group by order_id
),

reviews_of_orders as (
    select
        order_reviews.*,
        orders.purchased_at
    from order_reviews
    inner join orders
        on order_reviews.order_id = orders.order_id
),

items_described as (
    select
        order_items.*,
        products.product_id is not null as is_in_product_file,
        sellers.seller_id is not null as is_in_seller_file
    from order_items
    left outer join products
        on order_items.product_id = products.product_id
    left outer join sellers
        on order_items.seller_id = sellers.seller_id
),

zip_code_spread as (
    select
        zip_code_prefix,
        count(distinct [latitude, longitude]) as coordinate_count,
        count(distinct city) as city_spelling_count
    from geolocations
    group by zip_code_prefix
),

{%- set payment_key = "concat_ws(' / ', order_id, payment_sequence)" %}
{%- set review_key = "concat_ws(' / ', review_id, order_id)" %}
{%- set known_statuses = "'" ~ [
    'delivered', 'shipped', 'canceled', 'unavailable', 'invoiced', 'processing', 'created', 'approved',
] | join("', '") ~ "'" %}
{%- set known_payment_types = "'credit_card', 'boleto', 'voucher', 'debit_card', 'not_defined'" %}
{%- set item_key = "concat_ws(' / ', order_id, order_item_number)" %}
{#- (source table, rule, relation, condition, example key, issue kind) -#}
{%- set rules = [
    ('olist__orders', 'order without payment', 'orders_with_totals', 'not has_payment and exists (select 1 from order_payments)', 'order_id', 'flagged'),
    ('olist__orders', 'order without items', 'orders_with_totals', 'not has_items', 'order_id', 'flagged'),
    ('olist__orders', 'order without approved_at', 'orders', 'not has_approval_date', 'order_id', 'flagged'),
    ('olist__orders', 'order without delivered_to_carrier_at', 'orders', 'not has_carrier_date', 'order_id', 'flagged'),
    ('olist__orders', 'order without delivered_to_customer_at', 'orders', 'not has_delivery_date', 'order_id', 'flagged'),
    ('olist__orders', 'delivered order without approved_at', 'orders', 'is_delivered and not has_approval_date', 'order_id', 'flagged'),
    ('olist__orders', 'delivered order without delivered_to_carrier_at', 'orders', 'is_delivered and not has_carrier_date', 'order_id', 'flagged'),
    ('olist__orders', 'delivered order without delivered_to_customer_at', 'orders', 'is_delivered and not has_delivery_date', 'order_id', 'flagged'),
    ('olist__orders', 'order delivered after the estimated delivery date', 'orders', 'is_delivered_late', 'order_id', 'flagged'),
    ('olist__orders', 'order_status not among the known values', 'orders', 'order_status not in (' ~ known_statuses ~ ')', 'order_id', 'flagged'),
    ('olist__orders', 'order delivered before its purchase day (delivery not measured)', 'orders', 'cast(delivered_to_customer_at as date) < cast(purchased_at as date)', 'order_id', 'flagged'),
    ('olist__orders', 'order approved before its purchase', 'orders', 'approved_at < purchased_at', 'order_id', 'flagged'),
    ('olist__orders', 'payments total differs from items price + freight by more than 0.01', 'orders_not_reconciled', 'true', 'order_id', 'reconciliation'),
    ('olist__customers', 'customer_unique_id with several customer_id', 'customer_ids_per_person', 'customer_id_count > 1', 'customer_unique_id', 'flagged'),
    ('olist__customers', 'customer zip prefix missing from geolocation', 'customer_zip_codes', 'true', 'zip_code_prefix', 'flagged'),
    ('olist__customers', 'customer_state not two letters (kept as null)', 'customers', 'is_customer_state_unreadable', 'customer_id', 'flagged'),
    ('olist__order_items', 'freight_value 0', 'order_items', 'has_zero_freight', item_key, 'flagged'),
    ('olist__order_items', 'item of a product missing from the products file', 'items_described', 'not is_in_product_file and exists (select 1 from products)', item_key, 'flagged'),
    ('olist__order_items', 'item of a seller missing from the sellers file', 'items_described', 'not is_in_seller_file and exists (select 1 from sellers)', item_key, 'flagged'),
    ('olist__order_items', 'shipping_limit_at after 2018', 'order_items', 'is_shipping_limit_after_2018', item_key, 'flagged'),
    ('olist__order_payments', 'order with several payments', 'payments_per_order', 'payment_count > 1', 'order_id', 'flagged'),
    ('olist__order_payments', 'payment_value 0', 'order_payments', 'is_zero_value', payment_key, 'flagged'),
    ('olist__order_payments', 'installments 0', 'order_payments', 'has_zero_installments', payment_key, 'flagged'),
    ('olist__order_payments', 'payment_type not among the known values', 'order_payments', 'payment_type not in (' ~ known_payment_types ~ ')', payment_key, 'flagged'),
    ('olist__order_payments', 'order whose payment_sequential numbers have gaps', 'payment_sequences', 'has_sequence_gap', 'order_id', 'flagged'),
    ('olist__order_payments', 'payment_type not_defined', 'order_payments', 'is_type_not_defined', payment_key, 'flagged'),
    ('olist__order_reviews', 'review_id shared by several orders', 'orders_per_review_id', 'order_count > 1', 'review_id', 'flagged'),
    ('olist__order_reviews', 'review answered before it was created (answer time not measured)', 'order_reviews', 'review_answered_at < reviewed_at', review_key, 'flagged'),
    ('olist__order_reviews', 'review created before its order was purchased', 'reviews_of_orders', 'reviewed_at < purchased_at', review_key, 'flagged'),
    ('olist__order_reviews', 'order with several reviews', 'reviews_per_order', 'review_count > 1', 'order_id', 'flagged'),
    ('olist__products', 'product without category', 'products', 'not has_category', 'product_id', 'flagged'),
    ('olist__products', 'product category without English translation', 'products_translated', 'has_category and not has_english_category and exists (select 1 from category_translations)', 'product_id', 'flagged'),
    ('olist__products', 'product without weight or dimensions', 'products', 'not has_dimensions', 'product_id', 'flagged'),
    ('olist__sellers', 'seller zip prefix missing from geolocation', 'seller_zip_codes', 'true', 'zip_code_prefix', 'flagged'),
    ('olist__sellers', 'seller_state not two letters (kept as null)', 'sellers', 'is_seller_state_unreadable', 'seller_id', 'flagged'),
    ('olist__geolocation', 'geolocation_state not two letters (kept as null)', 'geolocations', 'is_state_unreadable', 'zip_code_prefix', 'flagged'),
    ('olist__geolocation', 'zip prefix with several coordinates', 'zip_code_spread', 'coordinate_count > 1', 'zip_code_prefix', 'flagged'),
    ('olist__geolocation', 'zip prefix with several city spellings', 'zip_code_spread', 'city_spelling_count > 1', 'zip_code_prefix', 'flagged'),
] %}

counted as (
    {% for source_table, rule, relation, condition, key, issue_kind in rules %}
        {{ quality_issue_count('olist', source_table, rule, relation, condition, key, issue_kind) }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select * from counted
)

select * from final
