with source as (
    select * from {{ source('olist', 'orders') }}
),

typed as (
    select
        nullif(trim(order_id), '') as order_id,
        nullif(trim(customer_id), '') as customer_id,
        nullif(lower(trim(order_status)), '') as order_status,
        try_cast(nullif(trim(order_purchase_timestamp), '') as timestamp) as purchased_at,
        try_cast(nullif(trim(order_approved_at), '') as timestamp) as approved_at,
        try_cast(nullif(trim(order_delivered_carrier_date), '') as timestamp) as delivered_to_carrier_at,
        try_cast(nullif(trim(order_delivered_customer_date), '') as timestamp) as delivered_to_customer_at,
        try_cast(nullif(trim(order_estimated_delivery_date), '') as timestamp) as estimated_delivery_at,
        _source_file as source_file,
        _source_row_number as source_row_number,
        _source_line_problem as source_line_problem,
        nullif(trim(order_purchase_timestamp), '') as purchased_at_text,
        nullif(trim(order_approved_at), '') as approved_at_text,
        nullif(trim(order_delivered_carrier_date), '') as delivered_to_carrier_at_text,
        nullif(trim(order_delivered_customer_date), '') as delivered_to_customer_at_text,
        nullif(trim(order_estimated_delivery_date), '') as estimated_delivery_at_text
    from source
),

flagged as (
    select
        *,
        coalesce(order_status = 'delivered', false) as is_delivered,
        coalesce(order_status = 'canceled', false) as is_canceled,
        coalesce(order_status = 'unavailable', false) as is_unavailable,
        approved_at is not null as has_approval_date,
        delivered_to_carrier_at is not null as has_carrier_date,
        delivered_to_customer_at is not null as has_delivery_date,
        -- The estimate is a calendar day (time 00:00:00): late means delivered on a later day.
        coalesce(
            cast(delivered_to_customer_at as date) > cast(estimated_delivery_at as date), false
        ) as is_delivered_late
    from typed
),

checked as (
    select
        *,
        case
            -- A line the landing could not read whole (longer than the line limit).
            when source_line_problem is not null then source_line_problem
            when order_id is null then 'missing order_id'
            when {{ is_repeat_of_key(['order_id']) }} then 'duplicate order_id'
            when customer_id is null then 'missing customer_id'
            when {{ failed_cast('purchased_at_text', 'purchased_at') }}
                then 'order_purchase_timestamp is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when purchased_at is null then 'missing order_purchase_timestamp'
            when {{ failed_cast('approved_at_text', 'approved_at') }}
                then 'order_approved_at is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when {{ failed_cast('delivered_to_carrier_at_text', 'delivered_to_carrier_at') }}
                then 'order_delivered_carrier_date is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when {{ failed_cast('delivered_to_customer_at_text', 'delivered_to_customer_at') }}
                then 'order_delivered_customer_date is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when {{ failed_cast('estimated_delivery_at_text', 'estimated_delivery_at') }}
                then 'order_estimated_delivery_date is not a timestamp (YYYY-MM-DD HH:MM:SS)'
            when purchased_at >= {{ max_event_timestamp() }} then 'order_purchase_timestamp in the future'
        end as quarantine_reason,
        order_id as record_key
    from flagged
),

{{ follow_parent_quarantine('checked', 'base_olist__customers', 'customer_id', 'customer') }},

final as (
    select
        * exclude (
            source_line_problem,
            purchased_at_text,
            approved_at_text,
            delivered_to_carrier_at_text,
            delivered_to_customer_at_text,
            estimated_delivery_at_text
        )
    from followed
)

select * from final
