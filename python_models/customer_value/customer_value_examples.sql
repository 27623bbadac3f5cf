{#- ml.customer_value_examples: one row per customer and labelled monthly cutoff, the snapshot
    features, the recent activity before the cutoff, the outcomes in the next H days and the
    out-of-time split, computed here so no Python model holds the orders in memory (the
    models that read it hold one row per customer and cutoff). Leakage rules:
    - a feature at cutoff c reads orders dated before c only (recent_activity; the snapshot
      features are measured before c by customer_feature_snapshots);
    - an outcome reads orders dated in [c, c + H) only (outcomes);
    - a cutoff is labelled only when c + H <= the day after the store's data end
      (marts.store_data_ends), so every outcome window lies inside the observed data;
    - training cutoffs have their window closed by the validation cutoff (c + H <= it).
    H and the positive class per store: vars churn_horizon_days and churn_target
    (macros/vars.sql per_store_var, the rule of common.per_store). -#}
with snapshots as (
    select * from {{ ref('customer_feature_snapshots') }}
),

orders as (
    select * from {{ ref('fct_orders') }}
),

store_data_ends as (
    select * from {{ ref('store_data_ends') }}
),

-- A sale order: of type sale, not cancelled (Olist canceled or unavailable), with a customer;
-- the definition labels.sale_orders shares with the Python models.
sale_orders as (
    select
        store,
        customer_key,
        order_date,
        cast(net_revenue_amount as double) as net_revenue_amount
    from orders
    where
        order_type = 'sale'
        and not is_cancelled
        and customer_key is not null
),

-- The stores with snapshots and sale orders (a store without either has no examples).
stores as (
    select distinct snapshots.store
    from snapshots
    semi join sale_orders on snapshots.store = sale_orders.store
),

-- Their H, positive class and data end; a store that the vars or marts.store_data_ends do not
-- cover stops the build.
store_settings as (
    select
        stores.store,
        coalesce(
            {{ per_store_var('churn_horizon_days', 'stores.store', minimum=1) }},
            error('var churn_horizon_days has no value for store ' || stores.store)
        ) as horizon_days,
        coalesce(
            {{ per_store_var('churn_target', 'stores.store', choices=['churn', 'repeat_purchase']) }},
            error('var churn_target has no value for store ' || stores.store)
        ) as target_name,
        coalesce(
            store_data_ends.data_end_date,
            error('marts.store_data_ends has no data_end_date for store ' || stores.store)
        ) as data_end_date
    from stores
    left outer join store_data_ends on stores.store = store_data_ends.store
),

-- The cutoffs whose whole outcome window [c, c + H) ends by the day after the data end.
labelled_cutoffs as (
    select distinct
        snapshots.store,
        snapshots.as_of_date,
        store_settings.horizon_days
    from snapshots
    inner join store_settings on snapshots.store = store_settings.store
    where snapshots.as_of_date + store_settings.horizon_days <= store_settings.data_end_date + 1
),

-- Features: sale orders in the 30 and 90 days before each cutoff (orders before it only).
recent_activity as (
    select
        labelled_cutoffs.store,
        sale_orders.customer_key,
        labelled_cutoffs.as_of_date,
        count(*) filter (where sale_orders.order_date >= labelled_cutoffs.as_of_date - 30) as orders_last_30d,
        count(*) as orders_last_90d,
        sum(sale_orders.net_revenue_amount) as revenue_last_90d
    from labelled_cutoffs
    inner join sale_orders
        on
            labelled_cutoffs.store = sale_orders.store
            and labelled_cutoffs.as_of_date - 90 <= sale_orders.order_date
            and labelled_cutoffs.as_of_date > sale_orders.order_date
    group by labelled_cutoffs.store, sale_orders.customer_key, labelled_cutoffs.as_of_date
),

-- Outcomes: sale orders in [c, c + H).
outcomes as (
    select
        labelled_cutoffs.store,
        sale_orders.customer_key,
        labelled_cutoffs.as_of_date,
        count(*) as orders_next,
        sum(sale_orders.net_revenue_amount) as spend_next
    from labelled_cutoffs
    inner join sale_orders
        on
            labelled_cutoffs.store = sale_orders.store
            and labelled_cutoffs.as_of_date <= sale_orders.order_date
            and labelled_cutoffs.as_of_date + labelled_cutoffs.horizon_days > sale_orders.order_date
    group by labelled_cutoffs.store, sale_orders.customer_key, labelled_cutoffs.as_of_date
),

-- Validation at the latest labelled cutoff; training at the cutoffs whose window closed by it.
cutoff_splits as (
    select
        store,
        as_of_date,
        case
            when as_of_date = max(as_of_date) over (partition by store) then 'validation'
            when as_of_date + horizon_days <= max(as_of_date) over (partition by store) then 'training'
            else 'refit_only'
        end as split
    from labelled_cutoffs
),

final as (
    select
        snapshots.store,
        snapshots.customer_key,
        snapshots.customer_id,
        snapshots.as_of_date,
        cutoff_splits.split,
        cast(store_settings.horizon_days as bigint) as horizon_days,
        cast(store_settings.target_name as varchar) as target_name,
        -- Missing measures are 0 (one order has no gap between orders, no cancellation
        -- share); frequency = 1 tells the models apart from real zeros.
        coalesce(cast(snapshots.recency_days as double), 0) as recency_days,
        coalesce(cast(snapshots.frequency as double), 0) as frequency,
        coalesce(cast(snapshots.monetary as double), 0) as monetary,
        coalesce(cast(snapshots.tenure_days as double), 0) as tenure_days,
        coalesce(cast(snapshots.avg_basket_amount as double), 0) as avg_basket_amount,
        coalesce(cast(snapshots.avg_basket_quantity as double), 0) as avg_basket_quantity,
        coalesce(cast(snapshots.return_rate as double), 0) as return_rate,
        coalesce(cast(snapshots.mean_days_between_orders as double), 0) as mean_days_between_orders,
        coalesce(cast(snapshots.cancellation_order_count as double), 0) as cancellation_order_count,
        coalesce(cast(recent_activity.orders_last_30d as double), 0) as orders_last_30d,
        coalesce(cast(recent_activity.orders_last_90d as double), 0) as orders_last_90d,
        coalesce(recent_activity.revenue_last_90d, 0) as revenue_last_90d,
        coalesce(outcomes.orders_next, 0) as orders_next,
        coalesce(outcomes.spend_next, 0) as spend_next,
        coalesce(outcomes.orders_next, 0) > 0 as purchased_again,
        case
            when store_settings.target_name = 'churn' then coalesce(outcomes.orders_next, 0) = 0
            else coalesce(outcomes.orders_next, 0) > 0
        end as is_positive
    from snapshots
    inner join cutoff_splits
        on
            snapshots.store = cutoff_splits.store
            and snapshots.as_of_date = cutoff_splits.as_of_date
    inner join store_settings on snapshots.store = store_settings.store
    left outer join recent_activity
        on
            snapshots.store = recent_activity.store
            and snapshots.customer_key = recent_activity.customer_key
            and snapshots.as_of_date = recent_activity.as_of_date
    left outer join outcomes
        on
            snapshots.store = outcomes.store
            and snapshots.customer_key = outcomes.customer_key
            and snapshots.as_of_date = outcomes.as_of_date
    -- The order the readers sort by (a stable physical order).
    order by snapshots.store, snapshots.as_of_date, snapshots.customer_key
)

select * from final
