-- The floor of `make bench`: the core marts of the warehouse as ONE hand-written DuckDB script,
-- with no dbt, no landing plugin and no intermediate tables a reader never queries.
--
-- It computes what the dbt project computes (same rules, same numbers; a test checks it against
-- the dbt marts on a small synthetic set, tests/python/warehouse/test_bench_references.py) for:
--   stg_online_retail        Online Retail I CSV, typed, with every quarantine rule of
--                            base_online_retail__invoice_lines
--   stg_olist_orders / _order_items / _customers   the same for the three Olist files the
--                            core marts need (payments, products, reviews, geolocation are not
--                            read: the core marts below do not use them)
--   fct_order_lines          both stores, revenue of macros/revenue.sql
--   fct_orders               order totals (the line columns; no payments or delivery measures)
--   customer_rfm             recency / frequency / monetary, 1-5 scores, segment
--   sales_daily              dimensions overall, country and state (not category: that needs
--                            the Olist product files)
--
-- Run it with the duckdb CLI or any client after setting four variables, e.g.
--   set variable online_retail_csv = 'data/synthetic/online_retail/online_retail.csv';
--   set variable olist_dir = 'data/synthetic/olist';
--   set variable seeds_dir = 'seeds';
--   set variable max_event_timestamp = cast(current_date as timestamp) + interval 1 day;
-- (retail_warehouse.bench.floor does exactly this.) It is a twin of the dbt models on purpose:
-- it is the reference the benchmark measures dbt against, not part of the warehouse.

create or replace table country_names as
select *
from read_csv(
    getvariable('seeds_dir') || '/country_names.csv',
    header = true,
    columns = {
        'source_country_name': 'varchar',
        'country_name': 'varchar',
        'country_code': 'varchar',
        'is_single_country': 'boolean'
    }
);

create or replace table rfm_segments as
select *
from read_csv(
    getvariable('seeds_dir') || '/rfm_segments.csv',
    header = true,
    columns = {'r_score': 'integer', 'fm_score': 'integer', 'rfm_segment': 'varchar', 'segment_order': 'integer'}
);

-- Online Retail: typed, flagged and checked in one pass over the file.
create or replace table stg_online_retail as
with source as (
    select
        *,
        row_number() over () as source_row_number
    from read_csv(
        getvariable('online_retail_csv'),
        header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
        columns = {
            'InvoiceNo': 'varchar', 'StockCode': 'varchar', 'Description': 'varchar', 'Quantity': 'varchar',
            'InvoiceDate': 'varchar', 'UnitPrice': 'varchar', 'CustomerID': 'varchar', 'Country': 'varchar'
        }
    )
),

typed as (
    select
        trim(InvoiceNo) as invoice_no,
        trim(StockCode) as stock_code,
        nullif(trim(Description), '') as description,
        try_cast(trim(Quantity) as integer) as quantity,
        try_cast(trim(InvoiceDate) as timestamp) as invoiced_at,
        try_cast(trim(UnitPrice) as decimal(18, 4)) as unit_price,
        regexp_replace(trim(CustomerID), '\.0+$', '') as customer_id,
        nullif(trim(Country), '') as country,
        source_row_number,
        Quantity as quantity_text,
        InvoiceDate as invoice_date_text,
        UnitPrice as unit_price_text
    from source
),

checked as (
    select
        *,
        case
            when invoice_no is null then 'missing invoice_no'
            when stock_code is null then 'missing stock_code'
            when quantity_text is not null and quantity is null then 'quantity is not an integer'
            when quantity is null then 'missing quantity'
            when invoice_date_text is not null and invoiced_at is null then 'invoice_date is not a timestamp'
            when invoiced_at is null then 'missing invoice_date'
            when unit_price_text is not null and unit_price is null then 'unit_price is not a number'
            when unit_price is null then 'missing unit_price'
            when not regexp_full_match(coalesce(customer_id, '0'), '[0-9]+') then 'customer_id is not an integer'
            when invoiced_at >= getvariable('max_event_timestamp') then 'invoice_date in the future'
            when quantity = 0 then 'zero quantity'
            when unit_price < 0 and not starts_with(invoice_no, 'A') then 'negative unit_price'
            when row_number() over (
                partition by invoice_no, stock_code, description, quantity, invoiced_at, unit_price, customer_id, country
                order by source_row_number
            ) > 1 then 'exact duplicate'
        end as quarantine_reason
    from typed
)

select
    invoice_no,
    stock_code,
    description,
    quantity,
    invoiced_at,
    unit_price,
    customer_id,
    country,
    source_row_number,
    case
        when starts_with(invoice_no, 'A') then 'bad_debt_adjustment'
        when starts_with(invoice_no, 'C') then 'cancellation'
        when quantity < 0 then 'stock_write_off'
        else 'sale'
    end as line_type,
    not (
        upper(stock_code) in (
            'POST', 'DOT', 'M', 'C2', 'D', 'S', 'B', 'BANK CHARGES', 'AMAZONFEE', 'CRUK', 'PADS',
            'ADJUST', 'ADJUST2', 'TEST001', 'TEST002'
        )
        or upper(stock_code) like 'GIFT\_0001\_%' escape '\'
        or upper(stock_code) like 'DCGS%'
    ) as is_product,
    quantity * unit_price as line_amount
from checked
where quarantine_reason is null;

-- Olist: the three files the core marts read, with the checks of their base models.
create or replace table stg_olist_orders as
with source as (
    select
        *,
        row_number() over () as source_row_number
    from read_csv(
        getvariable('olist_dir') || '/olist_orders_dataset.csv',
        header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
        columns = {
            'order_id': 'varchar', 'customer_id': 'varchar', 'order_status': 'varchar',
            'order_purchase_timestamp': 'varchar', 'order_approved_at': 'varchar',
            'order_delivered_carrier_date': 'varchar', 'order_delivered_customer_date': 'varchar',
            'order_estimated_delivery_date': 'varchar'
        }
    )
),

typed as (
    select
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(lower(trim(order_status)), '') as order_status,
        nullif(trim(order_purchase_timestamp), '') as purchased_at_text,
        nullif(trim(order_approved_at), '') as approved_at_text,
        nullif(trim(order_delivered_carrier_date), '') as carrier_at_text,
        nullif(trim(order_delivered_customer_date), '') as delivered_at_text,
        nullif(trim(order_estimated_delivery_date), '') as estimated_at_text,
        try_cast(purchased_at_text as timestamp) as purchased_at,
        source_row_number
    from source
),

checked as (
    select
        *,
        case
            when order_id is null then 'missing order_id'
            when row_number() over (partition by order_id order by source_row_number) > 1 then 'duplicate order_id'
            when customer_id is null then 'missing customer_id'
            when purchased_at_text is not null and purchased_at is null then 'bad order_purchase_timestamp'
            when purchased_at is null then 'missing order_purchase_timestamp'
            when approved_at_text is not null and try_cast(approved_at_text as timestamp) is null then 'bad approved_at'
            when carrier_at_text is not null and try_cast(carrier_at_text as timestamp) is null then 'bad carrier date'
            when delivered_at_text is not null and try_cast(delivered_at_text as timestamp) is null then 'bad delivery date'
            when estimated_at_text is not null and try_cast(estimated_at_text as timestamp) is null then 'bad estimate'
            when purchased_at >= getvariable('max_event_timestamp') then 'order_purchase_timestamp in the future'
        end as quarantine_reason
    from typed
)

select
    order_id,
    customer_id,
    order_status,
    purchased_at,
    coalesce(order_status in ('canceled', 'unavailable'), false) as is_cancelled
from checked
where quarantine_reason is null;

create or replace table stg_olist_customers as
with source as (
    select
        *,
        row_number() over () as source_row_number
    from read_csv(
        getvariable('olist_dir') || '/olist_customers_dataset.csv',
        header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
        columns = {
            'customer_id': 'varchar', 'customer_unique_id': 'varchar', 'customer_zip_code_prefix': 'varchar',
            'customer_city': 'varchar', 'customer_state': 'varchar'
        }
    )
),

typed as (
    select
        nullif(trim(customer_id), '') as customer_id,
        nullif(trim(customer_unique_id), '') as customer_unique_id,
        nullif(trim(customer_zip_code_prefix), '') as zip_text,
        case
            when regexp_full_match(upper(trim(customer_state)), '[A-Z]{2}') then upper(trim(customer_state))
        end as customer_state,
        row_number() over (partition by customer_id order by source_row_number) as customer_id_occurrence
    from source
)

select
    customer_id,
    customer_unique_id,
    customer_state
from typed
where
    customer_id is not null
    and customer_id_occurrence = 1
    and customer_unique_id is not null
    and (zip_text is null or regexp_full_match(zip_text, '[0-9]{1,5}'));

create or replace table stg_olist_order_items as
with source as (
    select
        *,
        row_number() over () as source_row_number
    from read_csv(
        getvariable('olist_dir') || '/olist_order_items_dataset.csv',
        header = true, auto_detect = false, delim = ',', quote = '"', escape = '"',
        columns = {
            'order_id': 'varchar', 'order_item_id': 'varchar', 'product_id': 'varchar', 'seller_id': 'varchar',
            'shipping_limit_date': 'varchar', 'price': 'varchar', 'freight_value': 'varchar'
        }
    )
),

typed as (
    select
        nullif(trim(order_id), '') as order_id,
        nullif(trim(order_item_id), '') as order_item_id_text,
        try_cast(order_item_id_text as integer) as order_item_number,
        nullif(trim(product_id), '') as product_id,
        nullif(trim(seller_id), '') as seller_id,
        nullif(trim(shipping_limit_date), '') as shipping_limit_text,
        nullif(trim(price), '') as price_text,
        try_cast(price_text as decimal(18, 2)) as item_price,
        nullif(trim(freight_value), '') as freight_text,
        try_cast(freight_text as decimal(18, 2)) as freight_value,
        source_row_number
    from source
),

checked as (
    select
        *,
        case
            when order_id is null then 'missing order_id'
            when order_item_id_text is null then 'missing order_item_id'
            when order_item_number is null then 'order_item_id is not an integer'
            when order_item_number < 1 then 'order_item_id below 1'
            when row_number() over (
                partition by order_id, order_item_number order by source_row_number
            ) > 1 then 'duplicate order_id + order_item_id'
            when shipping_limit_text is not null and try_cast(shipping_limit_text as timestamp) is null
                then 'bad shipping_limit_date'
            when price_text is not null and item_price is null then 'price is not a number'
            when item_price is null then 'missing price'
            when freight_text is not null and freight_value is null then 'freight_value is not a number'
            when seller_id is null then 'missing seller_id'
            when product_id is null then 'missing product_id'
            when item_price < 0 then 'negative price'
            when freight_value < 0 then 'negative freight_value'
        end as quarantine_reason
    from typed
)

select
    order_id,
    order_item_number,
    product_id,
    item_price
from checked
where quarantine_reason is null;

-- Order lines of both stores, revenue as macros/revenue.sql defines it.
create or replace table fct_order_lines as
with online_retail_lines as (
    select
        'online_retail' as store,
        lines.invoice_no as order_id,
        cast(row_number() over (partition by lines.invoice_no order by lines.source_row_number) as integer)
            as line_number,
        lines.customer_id,
        lines.stock_code as product_id,
        min(lines.invoiced_at) over (partition by lines.invoice_no) as ordered_at,
        lines.line_type,
        lines.is_product,
        lines.quantity,
        lines.unit_price,
        lines.line_amount,
        coalesce(country_names.country_name, lines.country) as country_name
    from stg_online_retail as lines
    left outer join country_names
        on lines.country = country_names.source_country_name
),

olist_lines as (
    select
        'olist' as store,
        items.order_id,
        items.order_item_number as line_number,
        customers.customer_unique_id as customer_id,
        items.product_id,
        orders.purchased_at as ordered_at,
        case when orders.order_status in ('canceled', 'unavailable') then 'cancelled_sale' else 'sale' end
            as line_type,
        true as is_product,
        1 as quantity,
        cast(items.item_price as decimal(18, 4)) as unit_price,
        items.item_price as line_amount,
        'Brazil' as country_name
    from stg_olist_order_items as items
    left outer join stg_olist_orders as orders
        on items.order_id = orders.order_id
    left outer join stg_olist_customers as customers
        on orders.customer_id = customers.customer_id
),

lines as (
    select * from online_retail_lines
    union all
    select * from olist_lines
)

select
    store || ':' || order_id || ':' || line_number as order_line_key,
    store || ':' || order_id as order_key,
    store,
    order_id,
    line_number,
    store || ':' || customer_id as customer_key,
    customer_id,
    store || ':' || product_id as product_key,
    ordered_at,
    cast(ordered_at as date) as order_date,
    line_type,
    is_product,
    quantity,
    unit_price,
    cast(case when line_type in ('sale', 'cancelled_sale') then line_amount else 0 end as decimal(18, 4))
        as gross_sales_amount,
    cast(case
        when line_type = 'cancellation' then -line_amount
        when line_type = 'cancelled_sale' then line_amount
        else 0
    end as decimal(18, 4)) as cancellation_amount,
    cast(case when line_type in ('sale', 'cancellation') then line_amount else 0 end as decimal(18, 4))
        as net_revenue_amount,
    country_name
from lines;

create or replace table fct_orders as
with line_totals as (
    select
        order_key,
        any_value(store) as store,
        any_value(order_id) as order_id,
        min(customer_id) as customer_id,
        min(ordered_at) as ordered_at,
        min(country_name) as country_name,
        bool_or(line_type = 'bad_debt_adjustment') as has_bad_debt_adjustment,
        bool_or(line_type = 'cancellation') as has_cancellation,
        bool_and(line_type = 'stock_write_off') as is_only_stock_write_offs,
        count(*) as line_count,
        count(*) filter (where is_product) as product_line_count,
        sum(quantity) as total_quantity,
        sum(gross_sales_amount) as gross_sales_amount,
        sum(cancellation_amount) as cancellation_amount,
        sum(net_revenue_amount) as net_revenue_amount
    from fct_order_lines
    group by order_key
),

online_retail_orders as (
    select
        order_key,
        store,
        order_id,
        customer_id,
        case
            when has_bad_debt_adjustment then 'bad_debt_adjustment'
            when has_cancellation then 'cancellation'
            when is_only_stock_write_offs then 'stock_write_off'
            else 'sale'
        end as order_type,
        has_cancellation as is_cancelled,
        ordered_at,
        country_name,
        cast(null as varchar) as state
    from line_totals
    where store = 'online_retail'
),

-- Olist orders come from the orders file: orders without items are orders too.
olist_orders as (
    select
        'olist:' || orders.order_id as order_key,
        'olist' as store,
        orders.order_id,
        customers.customer_unique_id as customer_id,
        'sale' as order_type,
        orders.is_cancelled,
        orders.purchased_at as ordered_at,
        'Brazil' as country_name,
        customers.customer_state as state
    from stg_olist_orders as orders
    left outer join stg_olist_customers as customers
        on orders.customer_id = customers.customer_id
),

orders as (
    select * from online_retail_orders
    union all
    select * from olist_orders
)

select
    orders.order_key,
    orders.store,
    orders.order_id,
    orders.store || ':' || orders.customer_id as customer_key,
    orders.customer_id,
    orders.order_type,
    orders.is_cancelled,
    orders.ordered_at,
    cast(orders.ordered_at as date) as order_date,
    cast(coalesce(line_totals.line_count, 0) as integer) as line_count,
    cast(coalesce(line_totals.product_line_count, 0) as integer) as product_line_count,
    cast(coalesce(line_totals.total_quantity, 0) as bigint) as total_quantity,
    cast(coalesce(line_totals.gross_sales_amount, 0) as decimal(18, 4)) as gross_sales_amount,
    cast(coalesce(line_totals.cancellation_amount, 0) as decimal(18, 4)) as cancellation_amount,
    cast(coalesce(line_totals.net_revenue_amount, 0) as decimal(18, 4)) as net_revenue_amount,
    orders.country_name,
    orders.state
from orders
left outer join line_totals
    on orders.order_key = line_totals.order_key;

-- RFM as of the day after each store's last order (any order). A sale order is one of type sale
-- that was not cancelled (Olist status canceled or unavailable), as macros/customer_observation.sql.
create or replace table customer_rfm as
with as_of_dates as (
    select
        store,
        cast(max(order_date) + interval 1 day as date) as as_of_date
    from fct_orders
    group by store
),

sale_orders_marked as (
    select
        *,
        order_type = 'sale' and not is_cancelled as is_sale_order
    from fct_orders
    where customer_key is not null
),

customer_totals as (
    select
        sale_orders_marked.store,
        sale_orders_marked.customer_key,
        sale_orders_marked.customer_id,
        as_of_dates.as_of_date,
        count(distinct sale_orders_marked.order_id) filter (where sale_orders_marked.is_sale_order) as frequency,
        max(sale_orders_marked.order_date) filter (where sale_orders_marked.is_sale_order) as last_order_date,
        sum(sale_orders_marked.net_revenue_amount) as net_revenue_amount
    from sale_orders_marked
    inner join as_of_dates
        on sale_orders_marked.store = as_of_dates.store
    group by all
),

scored as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        cast(date_diff('day', last_order_date, as_of_date) as integer) as recency_days,
        cast(frequency as integer) as frequency,
        cast(net_revenue_amount as decimal(18, 4)) as monetary,
        last_order_date,
        cast(least(5, 1 + divide(
            5 * (rank() over (partition by store order by date_diff('day', last_order_date, as_of_date) desc) - 1),
            greatest(count(*) over (partition by store) - 1, 1)
        )) as integer) as r_score,
        cast(least(5, 1 + divide(
            5 * (rank() over (partition by store order by frequency asc) - 1),
            greatest(count(*) over (partition by store) - 1, 1)
        )) as integer) as f_score,
        cast(least(5, 1 + divide(
            5 * (rank() over (partition by store order by cast(net_revenue_amount as decimal(18, 4)) asc) - 1),
            greatest(count(*) over (partition by store) - 1, 1)
        )) as integer) as m_score
    from customer_totals
    where frequency > 0
)

select
    scored.*,
    cast(divide(scored.f_score + scored.m_score + 1, 2) as integer) as fm_score,
    rfm_segments.rfm_segment
from scored
left outer join rfm_segments
    on
        scored.r_score = rfm_segments.r_score
        and cast(divide(scored.f_score + scored.m_score + 1, 2) as integer) = rfm_segments.fm_score;

-- Daily sales by dimension: an order counts once per dimension value; orders without lines too.
create or replace table sales_daily as
with first_order_dates as (
    select
        customer_key,
        cast(min(ordered_at) filter (where order_type = 'sale') as date) as first_order_date
    from fct_orders
    where customer_key is not null
    group by customer_key
),

attributed as (
    select
        orders.order_key,
        orders.store,
        orders.order_date,
        orders.order_type = 'sale' as is_sale_order,
        orders.is_cancelled,
        orders.order_type = 'sale' and not orders.is_cancelled as is_valued_order,
        orders.customer_key,
        case
            when orders.customer_key is null then 'no customer'
            when orders.order_date = first_order_dates.first_order_date then 'new'
            else 'returning'
        end as customer_status,
        orders.country_name,
        orders.state,
        order_lines.order_line_key,
        order_lines.line_type,
        order_lines.quantity,
        order_lines.gross_sales_amount,
        order_lines.cancellation_amount,
        order_lines.net_revenue_amount,
        case when orders.store = 'olist' then 'BRL' else 'GBP' end as currency_code
    from fct_orders as orders
    left outer join fct_order_lines as order_lines
        on orders.order_key = order_lines.order_key
    left outer join first_order_dates
        on orders.customer_key = first_order_dates.customer_key
),

by_dimension as (
    select
        *,
        'overall' as dimension,
        'all' as dimension_value
    from attributed
    union all
    select
        *,
        'country' as dimension,
        coalesce(country_name, 'unknown') as dimension_value
    from attributed
    union all
    select
        *,
        'state' as dimension,
        coalesce(state, 'unknown') as dimension_value
    from attributed
    where store = 'olist'
)

select
    store,
    order_date,
    dimension,
    dimension_value,
    count(distinct order_key) filter (where is_sale_order) as order_count,
    count(distinct order_key) filter (where is_cancelled) as cancelled_order_count,
    count(order_line_key) filter (where line_type = 'sale') as line_count,
    cast(coalesce(sum(quantity) filter (where line_type = 'sale'), 0) as bigint) as units_sold,
    cast(coalesce(sum(gross_sales_amount), 0) as decimal(18, 4)) as gross_sales_amount,
    cast(coalesce(sum(cancellation_amount), 0) as decimal(18, 4)) as cancellation_amount,
    cast(coalesce(sum(net_revenue_amount), 0) as decimal(18, 4)) as net_revenue_amount,
    count(distinct customer_key) filter (where is_sale_order) as customer_count,
    count(distinct customer_key) filter (where is_sale_order and customer_status = 'new') as new_customer_count,
    count(distinct customer_key) filter (where is_sale_order and customer_status = 'returning')
        as returning_customer_count,
    count(distinct order_key) filter (where is_valued_order) as valued_order_count,
    min(currency_code) as currency_code
from by_dimension
group by store, order_date, dimension, dimension_value;
