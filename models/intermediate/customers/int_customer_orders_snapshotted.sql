{#- The orders of customers as seen at each monthly snapshot: one row per order and snapshot
    date (the first day of a month) on which the order was already placed. Snapshot dates run
    from the first month start after a store's first order to the last month start on or
    before its last order, so every snapshot has history behind it and (except the last)
    months of outcomes after it: the time axis of out-of-time validation and of the segment
    stability study. Incremental by snapshot: a build recomputes, per store, the snapshots from
    the first day whose orders in fct_orders changed (and the last one), the rest is kept
    (set_window_from_changed_history, macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'as_of_date'],
    incremental_window='changed_history',
    incremental_date_column='as_of_date',
    pre_hook="{{ set_window_from_changed_history(customer_snapshot_order_sources()) }}",
)) }}

with orders as (
    select * from {{ ref('fct_orders') }}
),

store_order_spans as (
    select
        store,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from orders
    group by store
),

month_starts as (
    select
        store,
        unnest(generate_series(
            date_trunc('month', first_order_date) + interval 1 month,
            cast(date_trunc('month', last_order_date) as timestamp),
            interval 1 month
        )) as month_start
    from store_order_spans
),

snapshot_dates as (
    select
        store,
        cast(month_start as date) as as_of_date
    from month_starts
),

-- Every snapshot, or those an incremental build recomputes.
{{ rows_in_incremental_window('snapshot_dates', 'snapshot_dates.as_of_date') }},

final as (
    {{ observe_customer_orders('orders', 'snapshot_dates_in_window') }}
)

select * from final
