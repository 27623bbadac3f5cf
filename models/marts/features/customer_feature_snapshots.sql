{#- One row per customer and monthly snapshot date (grain: store + customer_id + as_of_date):
    the customer as they stood on the first day of each month, measured like
    customer_features (macros/customer_observation.sql) from the orders placed before that
    day only. The input of out-of-time model validation (features at a past date, outcomes
    after it) and of the segment stability study. Incremental by snapshot, like the model it
    reads: a build recomputes, per store, the snapshots from the first one whose rows in
    int_customer_snapshots_measured changed (and the last one), the rest is kept
    (set_window_from_changed_history, macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'as_of_date'],
    incremental_window='changed_history',
    incremental_date_column='as_of_date',
    pre_hook="{{ set_window_from_changed_history(customer_feature_snapshot_sources()) }}",
)) }}

with customer_snapshots as (
    select * from {{ ref('int_customer_snapshots_measured') }}
),

-- Every snapshot, or those an incremental build recomputes.
{{ rows_in_incremental_window('customer_snapshots', 'customer_snapshots.as_of_date') }},

final as (
    select
        store,
        customer_key,
        customer_id,
        as_of_date,
        currency_code,
        recency_days,
        frequency,
        monetary,
        first_order_date,
        last_order_date,
        tenure_days,
        cancellation_order_count,
        gross_sales_amount,
        cancellation_amount,
        avg_basket_amount,
        avg_basket_quantity,
        cast(cancellation_amount / nullif(gross_sales_amount, 0) as double) as return_rate,
        mean_days_between_orders,
        country_name,
        state
    from customer_snapshots_in_window
)

select * from final
