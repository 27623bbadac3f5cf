{#- One row per customer and monthly snapshot date with at least one sale order before it:
    the same measures as int_customers_measured (macros/customer_observation.sql), as they
    stood on each snapshot date. Incremental by snapshot: a build recomputes, per store, the
    snapshots from the first one whose rows in int_customer_orders_snapshotted changed (and the
    last one), the rest is kept (set_window_from_changed_history, macros/incremental.sql). -#}
{{ config(**incremental_config(
    'window',
    unique_key=['store', 'as_of_date'],
    incremental_window='changed_history',
    incremental_date_column='as_of_date',
    pre_hook="{{ set_window_from_changed_history(customer_snapshot_measure_sources()) }}",
)) }}

with customer_orders as (
    select * from {{ ref('int_customer_orders_snapshotted') }}
),

-- Every snapshot, or those an incremental build recomputes.
{{ rows_in_incremental_window('customer_orders', 'customer_orders.as_of_date') }},

{{ measure_customers('customer_orders_in_window') }}

select * from final
