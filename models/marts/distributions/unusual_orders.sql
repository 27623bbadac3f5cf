{#- The unusual orders of every store, one row per flagged order. Rule: per store, over its
    sale and cancellation orders with at least one line, the modified z-score (Iglewicz and
    Hoaglin: 0.6745 x (x - median) / MAD) of log10(1 + |x|) is above 3.5, for x the order
    value (gross sales + cancellations, so a cancellation counts by its size) or the units
    (|total quantity|). On the log scale the fence is a multiple of the typical order, as
    order sizes are skewed; a measure whose MAD is 0 (Olist units: nearly every order has one
    item) flags nothing. Stock write-offs and bad-debt adjustments are not orders here. -#}
with orders as (
    select * from {{ ref('fct_orders') }}
),

scored_orders as (
    select
        *,
        gross_sales_amount + cancellation_amount as order_value_amount,
        -- Signed, so an order whose value is negative (never from usable lines, but a
        -- rule can change) is scored instead of failing the logarithm.
        sign(gross_sales_amount + cancellation_amount)
        * log10(1 + abs(gross_sales_amount + cancellation_amount)) as log_value,
        log10(1 + abs(total_quantity)) as log_units
    from orders
    where order_type in ('sale', 'cancellation') and line_count > 0
),

store_medians as (
    select
        store,
        median(log_value) as median_log_value,
        median(log_units) as median_log_units
    from scored_orders
    group by store
),

deviations as (
    select
        scored_orders.store,
        abs(scored_orders.log_value - store_medians.median_log_value) as value_deviation,
        abs(scored_orders.log_units - store_medians.median_log_units) as units_deviation
    from scored_orders
    inner join store_medians
        on scored_orders.store = store_medians.store
),

store_deviations as (
    select
        store,
        median(value_deviation) as mad_log_value,
        median(units_deviation) as mad_log_units
    from deviations
    group by store
),

store_statistics as (
    select
        store_medians.*,
        store_deviations.mad_log_value,
        store_deviations.mad_log_units
    from store_medians
    inner join store_deviations
        on store_medians.store = store_deviations.store
),

orders_scored as (
    select
        scored_orders.*,
        {{ robust_z_score(
            'scored_orders.log_value', 'store_statistics.median_log_value', 'store_statistics.mad_log_value'
        ) }} as value_robust_z,
        {{ robust_z_score(
            'scored_orders.log_units', 'store_statistics.median_log_units', 'store_statistics.mad_log_units'
        ) }} as units_robust_z,
        -- The values at which the z-score reaches 3.5, back on the original scale.
        case
            when store_statistics.mad_log_value > 0
                then pow(10, store_statistics.median_log_value + 3.5 * store_statistics.mad_log_value / 0.6745) - 1
        end as value_threshold_amount,
        case
            when store_statistics.mad_log_units > 0
                then pow(10, store_statistics.median_log_units + 3.5 * store_statistics.mad_log_units / 0.6745) - 1
        end as units_threshold
    from scored_orders
    inner join store_statistics
        on scored_orders.store = store_statistics.store
),

orders_flagged as (
    select
        *,
        coalesce(value_robust_z > 3.5, false) as is_value_unusual,
        coalesce(units_robust_z > 3.5, false) as is_units_unusual
    from orders_scored
),

final as (
    select
        order_key,
        store,
        order_id,
        order_type,
        customer_key,
        ordered_at,
        order_date,
        line_count,
        total_quantity,
        cast(order_value_amount as decimal(18, 4)) as order_value_amount,
        net_revenue_amount,
        is_value_unusual,
        is_units_unusual,
        case
            when is_value_unusual and is_units_unusual then 'value and units'
            when is_value_unusual then 'value'
            else 'units'
        end as unusual_reason,
        cast(value_robust_z as double) as value_robust_z,
        cast(units_robust_z as double) as units_robust_z,
        cast(value_threshold_amount as decimal(18, 4)) as value_threshold_amount,
        cast(units_threshold as double) as units_threshold,
        currency_code
    from orders_flagged
    where is_value_unusual or is_units_unusual
)

select * from final
